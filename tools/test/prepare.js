#!/usr/bin/env node
// Gets a machine ready for the whole test suite: the Debian packages the interop tests drive
// (kcat, librdkafka's and kafka-python's Python bindings) and a compiled dist/ that the e2e
// tests start as real processes. Safe to run again: it installs only what is missing.
const { execSync, spawnSync } = require('node:child_process');

function has(cmd) {
  return spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
}

const missing = [];
if (!has('command -v kcat')) missing.push('kcat');
if (!has('/usr/bin/python3 -c "import confluent_kafka"')) missing.push('python3-confluent-kafka');
if (!has('/usr/bin/python3 -c "import kafka"')) missing.push('python3-kafka');

if (missing.length > 0) {
  if (process.getuid && process.getuid() !== 0) {
    console.error(`[prepare] missing Debian packages: ${missing.join(' ')}; run as root or install them with apt-get`);
    process.exit(1);
  }
  console.log(`[prepare] installing ${missing.join(' ')}`);
  execSync('apt-get update -qq', { stdio: 'inherit' });
  execSync(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, { stdio: 'inherit' });
}

console.log('[prepare] compiling the workspace into dist/');
execSync('npx tsc -p tsconfig.build.json', { stdio: 'inherit' });
