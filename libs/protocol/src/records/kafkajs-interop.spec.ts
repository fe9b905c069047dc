// Record batches written by kafkajs 2.2.4's own encoder decode with ours, and ours decode with kafkajs's decoder,
// with every codec. kafkajs ships gzip only; the other codecs are registered here the way the usual kafkajs
// plugins do it (kafkajs-snappy, kafkajs-lz4, @kafkajs/zstd), built directly on the npm libraries rather than on
// our compress/decompress, so framing differences would show.
import * as snappyLib from 'snappy';
import * as lz4Lib from 'lz4-napi';
import { Decoder as ZstdDecoder, Encoder as ZstdEncoder } from '@toondepauw/node-zstd';
import { CompressionType, compress } from '../compression';
import { RecordBatchView, splitRecordBatches, validateRecordBatch } from './record-batch-view';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch';

const { CompressionCodecs, CompressionTypes } = require('kafkajs');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');
const Long = require('kafkajs/src/utils/long');

interface KjsEncoder {
  buffer: Buffer;
}

// kafkajs-snappy's behaviour: compress to one raw block; decompress raw or the xerial stream.
const XERIAL = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const snappyCodec = () => ({
  async compress(encoder: KjsEncoder) {
    return snappyLib.compressSync(encoder.buffer);
  },
  async decompress(buffer: Buffer): Promise<Buffer> {
    if (!buffer.subarray(0, 8).equals(XERIAL)) return snappyLib.uncompressSync(buffer) as Buffer;
    const parts: Buffer[] = [];
    for (let pos = 16; pos < buffer.length; ) {
      const len = buffer.readUInt32BE(pos);
      parts.push(snappyLib.uncompressSync(buffer.subarray(pos + 4, pos + 4 + len)) as Buffer);
      pos += 4 + len;
    }
    return Buffer.concat(parts);
  },
});
const lz4Codec = () => ({
  async compress(encoder: KjsEncoder) {
    return lz4Lib.compressFrameSync(encoder.buffer);
  },
  async decompress(buffer: Buffer) {
    return lz4Lib.decompressFrameSync(buffer);
  },
});
const zstdCodec = () => ({
  async compress(encoder: KjsEncoder) {
    return new ZstdEncoder(3).encodeSync(encoder.buffer);
  },
  async decompress(buffer: Buffer) {
    return new ZstdDecoder().decodeSync(buffer);
  },
});

const saved: Record<number, unknown> = {};
beforeAll(() => {
  for (const t of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) saved[t] = CompressionCodecs[t];
  CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = zstdCodec;
});
afterAll(() => {
  for (const [t, c] of Object.entries(saved)) CompressionCodecs[Number(t)] = c;
});

const T0 = 1_700_000_000_000;
const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

const messages = [
  { key: 'k0', value: 'v0', timestamp: T0, headers: { a: '1' } },
  { key: null, value: Buffer.alloc(70_000, 7), timestamp: T0 + 3, headers: {} },
  { key: Buffer.from([1, 2]), value: null, timestamp: T0 + 1, headers: { dup: ['x', 'y'], n: Buffer.from([0]) } },
  { key: 'k3', value: 'tail', timestamp: T0 + 40, headers: {} },
];

async function kafkajsBatch(compression: number, opts: { transactional?: boolean } = {}): Promise<Buffer> {
  const firstTimestamp = T0;
  const encoded = await RecordBatch({
    compression,
    firstOffset: Long.fromInt(0),
    firstTimestamp,
    maxTimestamp: T0 + 40,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: messages.length - 1,
    transactional: opts.transactional ?? false,
    producerId: Long.fromValue(4242),
    producerEpoch: 1,
    firstSequence: 17,
    records: messages.map((m, i) =>
      Record({ offsetDelta: i, timestampDelta: m.timestamp - firstTimestamp, key: m.key, value: m.value, headers: m.headers }),
    ),
  });
  return encoded.buffer as Buffer;
}

describe('kafkajs 2.2.4 interop', () => {
  it.each(CODECS)('a batch kafkajs writes with codec %i passes our validation and decodes to the same records', async (compression) => {
    const buf = await kafkajsBatch(compression, { transactional: compression === CompressionType.Zstd });
    const [view] = splitRecordBatches(buf);
    expect(view.totalSize).toBe(buf.length);
    expect(view.verifyCrc()).toBe(true);
    expect(() => validateRecordBatch(view)).not.toThrow();
    const out = decodeRecordBatch(view);
    expect(out).toMatchObject({
      compression,
      producerId: 4242,
      producerEpoch: 1,
      baseSequence: 17,
      isTransactional: compression === CompressionType.Zstd,
      lastOffsetDelta: 3,
      firstTimestamp: T0,
      maxTimestamp: T0 + 40,
    });
    expect(out.records.map((r) => r.timestamp)).toEqual(messages.map((m) => m.timestamp));
    expect(out.records[0].key?.toString()).toBe('k0');
    expect(out.records[0].headers).toEqual([{ key: 'a', value: Buffer.from('1') }]);
    expect(out.records[1].key).toBeNull();
    expect(out.records[1].value?.equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(out.records[2].value).toBeNull();
    expect(out.records[2].headers).toEqual([
      { key: 'dup', value: Buffer.from('x') },
      { key: 'dup', value: Buffer.from('y') },
      { key: 'n', value: Buffer.from([0]) },
    ]);
  });

  it.each(CODECS)('a batch we write with codec %i decodes with kafkajs', async (compression) => {
    const buf = encodeRecordBatch({
      baseOffset: 500,
      partitionLeaderEpoch: 2,
      compression,
      producerId: 9,
      producerEpoch: 0,
      baseSequence: 0,
      records: messages.map((m) => ({
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        headers: Object.entries(m.headers).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => ({ key: k, value: x }))),
      })),
    });
    const out = await decodeKafkajsBatch(new KafkajsDecoder(buf));
    expect(out.firstOffset).toBe('500');
    expect(out.partitionLeaderEpoch).toBe(2);
    expect(out.producerId).toBe('9');
    expect(out.maxTimestamp).toBe(String(T0 + 40));
    expect(out.records).toHaveLength(4);
    expect(out.records.map((r: { offset: string }) => r.offset)).toEqual(['500', '501', '502', '503']);
    expect(out.records.map((r: { timestamp: string }) => r.timestamp)).toEqual(messages.map((m) => String(m.timestamp)));
    expect(out.records[0].key.toString()).toBe('k0');
    expect(out.records[0].value.toString()).toBe('v0');
    expect(out.records[0].headers).toEqual({ a: Buffer.from('1') });
    expect(out.records[1].key).toBeNull();
    expect(out.records[1].value.equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(out.records[2].value).toBeNull();
    expect(out.records[2].headers).toEqual({ dup: [Buffer.from('x'), Buffer.from('y')], n: Buffer.from([0]) });
  });

  it('a kafkajs-snappy style decoder reads our xerial stream of several chunks', async () => {
    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const ours = compress(CompressionType.Snappy, big);
    expect(ours.subarray(0, 8).equals(XERIAL)).toBe(true);
    expect((await snappyCodec().decompress(ours)).equals(big)).toBe(true);
  });

  it('kafkajs decodes a batch whose base offset and leader epoch we patched in place', async () => {
    const buf = await kafkajsBatch(CompressionType.Gzip);
    const view = new RecordBatchView(buf);
    view.setBaseOffset(2 ** 33);
    view.setPartitionLeaderEpoch(9);
    expect(view.verifyCrc()).toBe(true);
    const out = await decodeKafkajsBatch(new KafkajsDecoder(buf));
    expect(out.firstOffset).toBe(String(2 ** 33));
    expect(out.partitionLeaderEpoch).toBe(9);
    expect(out.records[3].offset).toBe(String(2 ** 33 + 3));
  });
});
