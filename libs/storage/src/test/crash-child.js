// Child process for the SIGKILL test: appends forever and prints the last offset of every append that resolved.
// argv: <build dir with transpiled JS (see crash.spec.ts)> <log dir> <segment.bytes> <flush.messages>
const Module = require('node:module');
const path = require('node:path');
const [build, dir, segmentBytes, flushMessages] = process.argv.slice(2);
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@runnel/protocol') request = path.join(build, 'libs/storage/src/test/protocol-shim.js');
  return original.call(this, request, ...rest);
};
const { PartitionLog } = require(path.join(build, 'libs/storage/src/partition-log.js'));
const { encodeRecordBatch } = require('@runnel/protocol');

async function main() {
  const log = await PartitionLog.open({
    dir,
    topic: 't',
    partition: 0,
    config: { segmentBytes: Number(segmentBytes), flushMessages: Number(flushMessages) },
  });
  let next = log.logEndOffset;
  let i = 0;
  const inFlight = new Set();
  process.stdout.write(`ready ${next}\n`);
  for (;;) {
    // Alternate small batches (synchronous write path) and big ones (thread-pool path).
    const count = i % 5 === 4 ? 20 : 1 + (i % 3);
    const pad = i % 5 === 4 ? 'p'.repeat(4000) : '';
    const records = [];
    for (let k = 0; k < count; k++) records.push({ key: null, value: `rec-${next + k}-${pad}`, timestamp: Date.now() });
    next += count;
    i++;
    const p = log.append(encodeRecordBatch({ records })).then((r) => {
      process.stdout.write(`ack ${r.lastOffset}\n`);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
}
process.stdout.on('error', () => process.exit(0));
main().catch((e) => {
  process.stderr.write(String(e && e.stack) + '\n');
  process.exit(1);
});
