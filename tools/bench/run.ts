// `npm run bench`: runs every benchmark in turn and prints figures (no pass/fail).
// Optional arguments pick benches by name: `node -r ./tools/runtime/paths.js dist/tools/bench/run.js protocol`.
import { runProtocolBench } from './protocol.bench';

const benches: Array<[string, () => void | Promise<void>]> = [
  ['protocol', runProtocolBench],
  ['storage', async () => (await import('./storage.bench')).runStorageBench()],
  ['replication', async () => (await import('./replication.bench')).runReplicationBench()],
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [name, run] of benches) {
    if (only.length && !only.includes(name)) continue;
    const started = Date.now();
    await run();
    console.log(`[${name} bench took ${((Date.now() - started) / 1000).toFixed(1)} s]\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
