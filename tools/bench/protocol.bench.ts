// Protocol hot-path benchmark (issue 2): validating a Produce v7 request that carries a 1 MiB batch of 1 KiB
// records, and encoding a Fetch v11 response that carries stored batches, each next to raw CRC32C and a plain
// Buffer.copy measured in the same run. Also: record batch decode and the compression codecs, for reference.
import {
  ApiKey,
  compress,
  compressionName,
  CompressionType,
  CRC32C_IMPLEMENTATION,
  crc32c,
  crc32cJs,
  decodeRecordBatch,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  decompress,
  encodeRecordBatch,
  encodeRequest,
  encodeResponse,
  Reader,
  splitRecordBatches,
  validateRecordBatch,
} from '@runnel/protocol';
import { compare, fmt, measure, row } from './harness';

const MiB = 1024 * 1024;

/** Record values: half JSON-like text, half pseudo-random (like the research measurements). */
function payload(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let s = seed >>> 0 || 1;
  const text = Buffer.from('{"user":"alice","event":"click","page":"/index.html","n":42}');
  for (let i = 0; i < size; i++) {
    if (i < size / 2) {
      b[i] = text[i % text.length];
    } else {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      b[i] = s >>> 24;
    }
  }
  return b;
}

/** A batch of `count` records with `size`-byte values, as a producer would send (base offset 0, idempotent). */
function makeBatch(count: number, size: number, compression: number = CompressionType.None, baseOffset = 0): Buffer {
  const now = Date.now();
  return encodeRecordBatch({
    baseOffset,
    compression,
    producerId: 1000,
    producerEpoch: 0,
    baseSequence: 0,
    records: Array.from({ length: count }, (_, i) => ({
      key: `key-${i % 100}`,
      value: payload(size, i + 1),
      timestamp: now + i,
    })),
  });
}

function concat(chunks: Buffer[]): Buffer {
  return Buffer.concat(chunks);
}

export function runProtocolBench(): void {
  console.log(`protocol bench (node ${process.version}, crc32c implementation: ${CRC32C_IMPLEMENTATION})`);

  // ---- Produce v7: 1 MiB batch of 1 KiB records ----------------------------------------------------------------
  const batch = makeBatch(1024, 1024);
  const frame = concat(
    encodeRequest(
      { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: 'bench-producer' },
      { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'bench', partitionData: [{ index: 0, records: batch }] }] },
    ),
  );
  console.log(`\nProduce v7 request: ${fmt(frame.length)} bytes, one batch of 1024 records x 1 KiB values (${fmt(batch.length)} bytes)`);

  const copyTarget = Buffer.allocUnsafe(frame.length);
  const crcJs = measure(batch.length, () => crc32cJs(batch), { rounds: 3 });

  let sink = 0;
  const validateProduce = (): void => {
    const r = new Reader(frame, 4); // after the size prefix, as the connection hands frames over
    const header = decodeRequestHeader(r);
    const body = decodeRequest(ApiKey.Produce, header.apiVersion, r);
    for (const topic of body.topicData) {
      for (const p of topic.partitionData) {
        if (p.records === null) continue;
        for (const view of splitRecordBatches(p.records)) {
          validateRecordBatch(view);
          sink += view.recordCount;
        }
      }
    }
  };
  validateProduce();
  if (sink !== 1024) throw new Error(`produce validation saw ${sink} records, expected 1024`);
  // Validation against CRC32C and against Buffer.copy, each measured in alternating rounds.
  const vsCrc = compare({ bytes: frame.length, fn: validateProduce }, { bytes: batch.length, fn: () => crc32c(batch) });
  const vsCopy = compare({ bytes: frame.length, fn: validateProduce }, { bytes: frame.length, fn: () => frame.copy(copyTarget) });
  const produce = vsCrc.a;
  const crcBatch = vsCrc.b;
  const copy = vsCopy.b;
  const headerOnly = measure(frame.length, () => {
    const r = new Reader(frame, 4);
    const header = decodeRequestHeader(r);
    const body = decodeRequest(ApiKey.Produce, header.apiVersion, r);
    sink += body.topicData.length;
  });
  const view = splitRecordBatches(batch)[0];
  const validateNoCrc = measure(batch.length, () => validateRecordBatch(view, { checkCrc: false }));
  const decode = measure(batch.length, () => {
    sink += decodeRecordBatch(batch).records.length;
  });

  row('Buffer.copy of the request frame', copy);
  row(`raw crc32c over the batch (${CRC32C_IMPLEMENTATION})`, crcBatch);
  row('raw crc32c, pure-JS fallback', crcJs, `${fmt(crcJs.mbps / crcBatch.mbps, 2)}x native`);
  row('produce validation (header+body decode, split, CRC)', produce,
    `= ${fmt(vsCrc.ratio, 2)}x raw CRC32C, ${fmt(vsCopy.ratio, 3)}x Buffer.copy  [target >= 0.5x CRC]`);
  row('  of which: request header + body decode only', headerOnly);
  row('  of which: batch checks without CRC (record framing)', validateNoCrc);
  row('decodeRecordBatch (all records, for reference)', decode);

  // Same total size, spread over 16 partitions of 64 KiB batches: shows the per-batch and per-partition overhead.
  const smallBatches = Array.from({ length: 16 }, () => makeBatch(64, 1024));
  const smallFrame = concat(
    encodeRequest(
      { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 2, clientId: 'bench-producer' },
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [{ name: 'bench', partitionData: smallBatches.map((records, index) => ({ index, records })) }],
      },
    ),
  );
  const validateSmall = (): void => {
    const r = new Reader(smallFrame, 4);
    const header = decodeRequestHeader(r);
    const body = decodeRequest(ApiKey.Produce, header.apiVersion, r);
    for (const topic of body.topicData) {
      for (const p of topic.partitionData) {
        if (p.records === null) continue;
        for (const v of splitRecordBatches(p.records)) validateRecordBatch(v);
      }
    }
  };
  const smallBytes = smallBatches.reduce((n, b) => n + b.length, 0);
  const small = compare(
    { bytes: smallFrame.length, fn: validateSmall },
    {
      bytes: smallBytes,
      fn: () => {
        for (const b of smallBatches) crc32c(b);
      },
    },
  );
  row('raw crc32c over 16 batches of 64 KiB', small.b);
  row('produce validation, 16 partitions x 64 KiB batches', small.a, `= ${fmt(small.ratio, 2)}x raw CRC32C of the same batches`);

  // ---- Fetch v11 response carrying stored batches ----------------------------------------------------------------
  const partitions = 4;
  const batchesPerPartition = 16; // 16 x 64 KiB = 1 MiB per partition
  const stored: Buffer[][] = [];
  for (let p = 0; p < partitions; p++) {
    const list: Buffer[] = [];
    for (let b = 0; b < batchesPerPartition; b++) list.push(makeBatch(64, 1024, CompressionType.None, b * 64));
    stored.push(list);
  }
  const fetchBytes = stored.reduce((n, l) => n + l.reduce((m, b) => m + b.length, 0), 0);
  const fetchBody = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'bench',
        partitions: stored.map((records, partitionIndex) => ({
          partitionIndex,
          errorCode: 0,
          highWatermark: 1_000_000n,
          lastStableOffset: 1_000_000n,
          logStartOffset: 0n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records,
        })),
      },
    ],
  };
  const encoded = encodeResponse(ApiKey.Fetch, 11, 7, fetchBody);
  const encodedBytes = encoded.reduce((n, b) => n + b.length, 0);
  // Sanity check once, so the figures below are for a correct response.
  const check = decodeResponse(ApiKey.Fetch, 11, Buffer.concat(encoded).subarray(4)).body;
  const checkBatches = check.responses[0].partitions.map((p) => splitRecordBatches(p.records ?? Buffer.alloc(0)).length);
  if (checkBatches.join() !== stored.map((l) => l.length).join()) throw new Error(`Fetch response round trip failed: ${checkBatches}`);
  console.log(
    `\nFetch v11 response: ${partitions} partitions x ${batchesPerPartition} stored batches of 64 x 1 KiB records, ` +
      `${fmt(fetchBytes)} record bytes, ${fmt(encodedBytes)} bytes in ${encoded.length} chunks (records by reference)`,
  );
  const flat = Buffer.allocUnsafe(encodedBytes);
  const copyStored = (): void => {
    let pos = 0;
    for (const list of stored) for (const b of list) pos += b.copy(flat, pos);
  };
  const crcStored = (): void => {
    for (const list of stored) for (const b of list) crc32c(b);
  };
  const encodeFetch = (): void => {
    sink += encodeResponse(ApiKey.Fetch, 11, 7, fetchBody).length;
  };
  const fetchVsCrc = compare({ bytes: encodedBytes, fn: encodeFetch }, { bytes: fetchBytes, fn: crcStored });
  const fetchVsCopy = compare({ bytes: encodedBytes, fn: encodeFetch }, { bytes: encodedBytes, fn: copyStored });
  const fetchEncode = fetchVsCrc.a;
  const fetchCrc = fetchVsCrc.b;
  const fetchCopy = fetchVsCopy.b;
  const fetchEncodeFlat = measure(encodedBytes, () => {
    sink += Buffer.concat(encodeResponse(ApiKey.Fetch, 11, 7, fetchBody), encodedBytes).length;
  });
  row('Buffer.copy of the stored batches', fetchCopy);
  row('raw crc32c over the stored batches', fetchCrc);
  row('Fetch v11 encodeResponse (Buffer[] out)', fetchEncode,
    `= ${fmt(fetchVsCrc.ratio, 1)}x raw CRC32C, ${fmt(fetchVsCopy.ratio, 2)}x Buffer.copy`);
  row('Fetch v11 encodeResponse + Buffer.concat (new 4 MiB)', fetchEncodeFlat,
    `= ${fmt(fetchEncodeFlat.mbps / fetchCopy.mbps, 2)}x Buffer.copy`);

  // ---- Compression codecs on a 1 MiB records section -------------------------------------------------------------
  const raw = batch.subarray(61);
  console.log(`\nCompression of the 1 MiB records section (half text, half random bytes), ${fmt(raw.length)} bytes`);
  for (const type of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    const packed = compress(type, raw);
    const c = measure(raw.length, () => compress(type, raw), { ms: 300, rounds: 3 });
    const d = measure(raw.length, () => decompress(type, packed), { ms: 300, rounds: 3 });
    row(`${compressionName(type)} compress (ratio ${fmt(raw.length / packed.length, 2)})`, c);
    row(`${compressionName(type)} decompress`, d);
  }
  if (Number.isNaN(sink)) console.log(sink); // keeps results observable so nothing is optimised away
  console.log(`\n  1 MiB = ${MiB} bytes; MB/s = 10^6 bytes/s of input; median of 5 rounds (3 for codecs; 10 alternating\n  rounds where a ratio is printed, the ratio being the median of per-round ratios), range in parentheses.`);
}

if (require.main === module) runProtocolBench();
