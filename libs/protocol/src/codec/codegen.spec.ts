import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The committed files under src/generated must be exactly what tools/codegen/generate.js produces from the specs.
const repoRoot = path.resolve(__dirname, '../../../..');
const specRoot = path.resolve(repoRoot, '../shared/reference');
const generatedDir = path.resolve(__dirname, '../generated');
const haveSpecs = fs.existsSync(path.join(specRoot, 'kafka-messages'));

describe('generated code is up to date', () => {
  if (!haveSpecs) {
    test.skip(`skipped: spec folder ${specRoot} is absent (it lives outside the repo)`, () => undefined);
    return;
  }

  test('regenerating into a temp dir gives the committed files', () => {
    const { generate } = require(path.join(repoRoot, 'tools/codegen/generate.js'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-codegen-'));
    try {
      const res = generate(specRoot, tmp);
      expect(res.specs).toBeGreaterThanOrEqual(244);
      const committed = fs.readdirSync(generatedDir).filter((f) => f.endsWith('.ts')).sort();
      expect(res.files).toEqual(committed);
      for (const f of res.files) {
        const fresh = fs.readFileSync(path.join(tmp, f), 'utf8');
        const mine = fs.readFileSync(path.join(generatedDir, f), 'utf8');
        if (fresh !== mine) throw new Error(`src/generated/${f} is stale: run \`npm run codegen\``);
        expect(mine.startsWith('// DO NOT EDIT.')).toBe(true);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
