import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// Jest loads global setup outside the module mapper, so the lib is imported by path here.
import { ensureBuilt } from '../../../../libs/testing/src/build';

/** Where global setup leaves the build result for build.spec.ts. */
export const BUILD_RESULT_FILE = path.join(os.tmpdir(), `runnel-e2e-build-${process.pid}.json`);

/** Compiles dist/ (the nodes under test run from it) and checks the external clients are installed. */
export default async function globalSetup(): Promise<void> {
  const result = ensureBuilt();
  fs.writeFileSync(BUILD_RESULT_FILE, JSON.stringify(result));
  process.env.RUNNEL_E2E_BUILD_RESULT = BUILD_RESULT_FILE;
  const missing: string[] = [];
  if (spawnSync('sh', ['-c', 'command -v kcat'], { stdio: 'ignore' }).status !== 0) missing.push('kcat');
  if (spawnSync('/usr/bin/python3', ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status !== 0) missing.push('python3-confluent-kafka');
  if (spawnSync('/usr/bin/python3', ['-c', 'import kafka'], { stdio: 'ignore' }).status !== 0) missing.push('python3-kafka');
  if (missing.length > 0) {
    throw new Error(`e2e tests need ${missing.join(', ')}: run \`node tools/test/prepare.js\` (as root) or apt-get install them`);
  }
  process.stderr.write(`[interop-e2e] dist compiled in ${result.ms} ms (${result.errors.length} type errors)\n`);
}
