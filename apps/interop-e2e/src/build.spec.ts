// `npm start` is `tsc -p tsconfig.build.json && node dist/...`: a single type error anywhere in the
// workspace stops a user's first command. Global setup compiled the workspace; this checks it was clean.
import * as fs from 'node:fs';

describe('the workspace build behind npm start', () => {
  const file = process.env.RUNNEL_E2E_BUILD_RESULT;
  const result = file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { errors: string[]; launcherExists: boolean; skipped: boolean }) : null;

  it('compiles without type errors', () => {
    expect(result).not.toBeNull();
    if (result!.skipped) return; // RUNNEL_SKIP_BUILD=1: someone else compiled dist
    expect(result!.errors).toEqual([]);
  });

  it('produces the launcher dist/tools/start/main.js', () => {
    expect(result?.launcherExists).toBe(true);
  });
});
