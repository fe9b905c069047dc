#!/usr/bin/env node
// Gets a machine ready for the whole test suite: the Debian packages the interop tests drive
// (kcat, librdkafka's and kafka-python's Python bindings, Burrow and ZooKeeper) and a compiled
// dist/ that the e2e tests start as real processes. Safe to run again: it installs only what is missing.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

function has(cmd) {
  return spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
}

function run(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[prepare] failed: ${cmd}`);
    process.exit(r.status ?? 1);
  }
}

const missing = [];
if (!has('command -v kcat')) missing.push('kcat');
if (!has('/usr/bin/python3 -c "import confluent_kafka"')) missing.push('python3-confluent-kafka');
if (!has('/usr/bin/python3 -c "import kafka"')) missing.push('python3-kafka');
// Burrow reads lag from __consumer_offsets; Burrow 1.x needs a ZooKeeper, run by the test as a plain Java process.
if (!has('test -x /usr/bin/Burrow')) missing.push('burrow');
if (!has('test -f /usr/share/java/zookeeper.jar')) missing.push('zookeeper');

if (missing.length > 0) {
  const isRoot = process.getuid && process.getuid() === 0;
  const sudo = !isRoot && has('command -v sudo') && has('sudo -n true') ? 'sudo -n ' : '';
  if (!isRoot && !sudo) {
    console.error(`[prepare] missing Debian packages: ${missing.join(' ')}; run as root or install them with apt-get`);
    process.exit(1);
  }
  console.log(`[prepare] installing ${missing.join(' ')}`);
  run(`${sudo}apt-get update -qq`);
  run(`${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`);
}

// Type errors are reported (and fail the e2e build check) but tsc still emits, so the rest of the
// suite runs and shows everything that is broken, not just the first problem.
console.log('[prepare] compiling the workspace into dist/');
const t0 = Date.now();
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) console.error(`[prepare] tsc exited with ${tsc.status}: type errors above (dist was emitted anyway)`);
if (!fs.existsSync(path.join(root, 'dist', 'tools', 'start', 'main.js'))) {
  console.error('[prepare] dist/tools/start/main.js is missing after compiling: the e2e tests cannot start nodes');
}
console.log(`[prepare] done in ${Date.now() - t0} ms`);
