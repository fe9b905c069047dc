import { spawnSync } from 'node:child_process';
import { ensureBuilt } from '@runnel/testing';

/** Compiles dist/ (the nodes under test run from it) and checks the external clients are installed. */
export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  ensureBuilt();
  const missing: string[] = [];
  if (spawnSync('sh', ['-c', 'command -v kcat'], { stdio: 'ignore' }).status !== 0) missing.push('kcat');
  if (spawnSync('/usr/bin/python3', ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status !== 0) missing.push('python3-confluent-kafka');
  if (spawnSync('/usr/bin/python3', ['-c', 'import kafka'], { stdio: 'ignore' }).status !== 0) missing.push('python3-kafka');
  if (missing.length > 0) {
    throw new Error(`e2e tests need ${missing.join(', ')}: run \`node tools/test/prepare.js\` (as root) or apt-get install them`);
  }
  process.stderr.write(`[interop-e2e] dist ready in ${Date.now() - t0} ms\n`);
}
