import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot } from './node';

/**
 * Compiles the workspace into dist/ (incremental tsc) so child processes run current code. Type
 * errors are reported but don't stop the build (tsc still emits); a missing launcher does.
 */
export interface BuildResult {
  /** tsc's `error TS` lines (empty when the workspace compiles cleanly). */
  errors: string[];
  launcherExists: boolean;
  skipped: boolean;
  ms: number;
}

export function ensureBuilt(repoRoot = findRepoRoot(), log: (s: string) => void = (s) => process.stderr.write(s)): BuildResult {
  const launcher = path.join(repoRoot, 'dist', 'tools', 'start', 'main.js');
  const t0 = Date.now();
  if (process.env.RUNNEL_SKIP_BUILD === '1') return { errors: [], launcherExists: fs.existsSync(launcher), skipped: true, ms: 0 };
  let errors: string[] = [];
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
    log(`[runnel-testing] tsc reported ${errors.length} type errors (dist is emitted anyway):\n${errors.slice(0, 30).join('\n')}\n`);
  }
  const launcherExists = fs.existsSync(launcher);
  if (!launcherExists) log(`[runnel-testing] ${launcher} does not exist yet; e2e tests that start nodes will fail\n`);
  return { errors, launcherExists, skipped: false, ms: Date.now() - t0 };
}
