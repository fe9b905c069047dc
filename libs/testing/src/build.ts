import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot } from './node';

/**
 * Compiles the workspace into dist/ (incremental tsc) so child processes run current code. Type
 * errors are reported but don't stop the build (tsc still emits); a missing launcher does.
 */
export function ensureBuilt(repoRoot = findRepoRoot(), log: (s: string) => void = (s) => process.stderr.write(s)): void {
  if (process.env.RUNNEL_SKIP_BUILD === '1') return;
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    const lines = out.split('\n');
    log(`[runnel-testing] tsc reported ${lines.filter((l) => /error TS/.test(l)).length} type errors (dist is emitted anyway):\n${lines.slice(0, 30).join('\n')}\n`);
  }
  const launcher = path.join(repoRoot, 'dist', 'tools', 'start', 'main.js');
  if (!fs.existsSync(launcher)) log(`[runnel-testing] ${launcher} does not exist yet; e2e tests that start nodes will fail\n`);
}
