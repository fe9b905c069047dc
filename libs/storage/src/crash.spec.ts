import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { PartitionLog } from './partition-log';
import { readAll, rmrf, tempDir } from './test/helpers';

jest.setTimeout(60_000);

const repo = path.resolve(__dirname, '../../..');
// Under node_modules so the transpiled files resolve the workspace's native packages.
const build = path.join(repo, 'node_modules', '.cache', `runnel-storage-crash-${process.pid}`);

/** Transpiles (no type check) the storage sources and the record parts of the protocol library for the child. */
function transpileForChild(): void {
  const dirs = ['libs/storage/src', 'libs/storage/src/test', 'libs/protocol/src/records', 'libs/protocol/src/compression', 'libs/protocol/src/errors'];
  const files = dirs.flatMap((d) => fs.readdirSync(path.join(repo, d)).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts')).map((f) => path.join(d, f)));
  files.push('libs/protocol/src/crc32c.ts', 'libs/protocol/src/generated/error-codes.ts');
  for (const rel of files) {
    const out = ts.transpileModule(fs.readFileSync(path.join(repo, rel), 'utf8'), {
      fileName: rel,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = path.join(build, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, out.outputText);
  }
}

/** Starts the appending child, lets it run until `acks` appends resolved, then SIGKILLs it. Returns the max acked offset. */
function runAndKill(dir: string, segmentBytes: number, flushMessages: number, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'test', 'crash-child.js'), build, dir, String(segmentBytes), String(flushMessages)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let maxAck = -1;
    let seen = 0;
    let buf = '';
    let err = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (killed) continue;
        if (line.startsWith('ack ')) {
          maxAck = Math.max(maxAck, Number(line.slice(4)));
          if (++seen >= acks) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(maxAck);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('SIGKILL while appending', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('runnel-crash-');
    transpileForChild();
  });
  afterAll(() => {
    rmrf(root);
    rmrf(build);
  });

  for (const [name, segmentBytes, flushMessages, rounds] of [
    ['default flush policy, small segments (rolls while killed)', 512 * 1024, Number.MAX_SAFE_INTEGER, 2],
    ['flush.messages=1', 1024 * 1024, 1, 1],
  ] as const) {
    it(`every append that returned is readable after recovery: ${name}`, async () => {
      const dir = path.join(root, name.replace(/\W+/g, '_'), 't-0');
      let expectedAtLeast = 0;
      for (let round = 0; round < rounds; round++) {
        const maxAck = await runAndKill(dir, segmentBytes, flushMessages, (flushMessages === 1 ? 100 : 400) + round * 200);

        expect(maxAck).toBeGreaterThan(expectedAtLeast);
        const log = await PartitionLog.open({ dir, topic: 't', partition: 0, config: { segmentBytes } });
        expect(log.logEndOffset).toBeGreaterThan(maxAck);
        const recs = await readAll(log, 0, 256 * 1024);
        expect(recs.length).toBe(log.logEndOffset);
        for (const r of recs) expect(r.value!.startsWith(`rec-${r.offset}-`)).toBe(true);
        expectedAtLeast = log.logEndOffset;
        log.closeNow(); // no flush: the next round recovers from scratch again
      }
    });
  }
});
