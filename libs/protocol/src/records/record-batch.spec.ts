import { KafkaProtocolError } from '../errors';
import { CompressionType } from '../compression';
import { RecordBatchView, splitRecordBatches, TimestampType, validateRecordBatch } from './record-batch-view';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from './record-batch';
import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarkerValue,
  encodeEndTxnMarkerBatch,
} from './control';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong, RecordCursor } from './varint';

function errCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

const T0 = 1_700_000_000_000;

function records(): RecordInput[] {
  return [
    { key: 'key-0', value: 'value-0', timestamp: T0 },
    { key: null, value: Buffer.from('no key'), timestamp: T0 + 5 },
    { key: Buffer.alloc(0), value: null, timestamp: T0 - 1000 }, // empty key vs null value; negative delta
    {
      key: 'h',
      value: Buffer.alloc(100_000, 0x5a),
      timestamp: T0 + 86_400_000 * 400, // > 2^31 ms delta needs a real varlong
      headers: [
        { key: 'trace', value: 'abc' },
        { key: 'trace', value: 'dup' },
        { key: 'nullv', value: null },
        { key: 'ünïcödé', value: Buffer.from([0, 1, 2]) },
        { key: '', value: Buffer.alloc(0) },
      ],
    },
    { key: new Uint8Array([9, 8, 7]), value: 'last', timestamp: T0 },
  ];
}

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

describe('varints', () => {
  it('round-trip int32 and long edge values', () => {
    const buf = Buffer.alloc(16);
    for (const n of [0, 1, -1, 63, -64, 64, -65, 8191, 2 ** 31 - 1, -(2 ** 31)]) {
      const end = writeVarint(buf, 0, n);
      expect(end).toBe(sizeOfVarint(n));
      expect(new RecordCursor(buf, 0, end).varint()).toBe(n);
    }
    for (const n of [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 3, -(2 ** 45) - 7, Number.MAX_SAFE_INTEGER >> 1, T0, -T0]) {
      const end = writeVarlong(buf, 0, n);
      expect(end).toBe(sizeOfVarlong(n));
      expect(new RecordCursor(buf, 0, end).varlong()).toBe(n);
    }
  });

  it('reject overlong and truncated varints', () => {
    expect(errCode(() => new RecordCursor(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), 0, 5).varint())).toBe(2);
    expect(errCode(() => new RecordCursor(Buffer.from([0x80, 0x80]), 0, 2).varint())).toBe(2);
    expect(errCode(() => new RecordCursor(Buffer.alloc(11, 0x80), 0, 11).varlong())).toBe(2);
  });
});

describe('encodeRecordBatch / decodeRecordBatch', () => {
  it.each(CODECS)('round-trips records with codec %i', (compression) => {
    const input = records();
    const buf = encodeRecordBatch({ baseOffset: 1000, partitionLeaderEpoch: 3, compression, producerId: 77, producerEpoch: 2, baseSequence: 10, records: input });
    const view = new RecordBatchView(buf);
    expect(view.compression).toBe(compression);
    expect(() => validateRecordBatch(view)).not.toThrow();
    const out = decodeRecordBatch(buf);
    expect(out).toMatchObject({
      baseOffset: 1000,
      partitionLeaderEpoch: 3,
      magic: 2,
      compression,
      timestampType: 0,
      isTransactional: false,
      isControl: false,
      lastOffsetDelta: 4,
      firstTimestamp: T0 - 1000,
      maxTimestamp: T0 + 86_400_000 * 400,
      producerId: 77,
      producerEpoch: 2,
      baseSequence: 10,
      recordCount: 5,
    });
    expect(out.records.map((r) => r.offset)).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(out.records.map((r) => r.timestamp)).toEqual(input.map((r) => r.timestamp));
    expect(out.records[0].key?.toString()).toBe('key-0');
    expect(out.records[0].value?.toString()).toBe('value-0');
    expect(out.records[1].key).toBeNull();
    expect(out.records[2].key).toEqual(Buffer.alloc(0));
    expect(out.records[2].value).toBeNull();
    expect(out.records[3].value?.equals(Buffer.alloc(100_000, 0x5a))).toBe(true);
    expect(out.records[3].headers).toEqual([
      { key: 'trace', value: Buffer.from('abc') },
      { key: 'trace', value: Buffer.from('dup') },
      { key: 'nullv', value: null },
      { key: 'ünïcödé', value: Buffer.from([0, 1, 2]) },
      { key: '', value: Buffer.alloc(0) },
    ]);
    expect(out.records[4].key).toEqual(Buffer.from([9, 8, 7]));
    expect(out.records[0].headers).toEqual([]);
  });

  it('keeps explicit offset deltas, timestamps and flags', () => {
    const buf = encodeRecordBatch({
      isTransactional: true,
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: T0 + 999,
      records: [
        { value: 'a', offsetDelta: 0, timestamp: T0 },
        { value: 'b', offsetDelta: 7, timestamp: T0 + 1 },
      ],
    });
    const out = decodeRecordBatch(buf);
    expect(out.lastOffsetDelta).toBe(7);
    expect(out.records.map((r) => r.offsetDelta)).toEqual([0, 7]);
    expect(out.isTransactional).toBe(true);
    expect(out.timestampType).toBe(1);
    // LogAppendTime: every record reports the batch max timestamp
    expect(out.records.map((r) => r.timestamp)).toEqual([T0 + 999, T0 + 999]);
    expect(out.records.map((r) => r.timestampDelta)).toEqual([0, 1]);
  });

  it('encodes an empty batch', () => {
    const out = decodeRecordBatch(encodeRecordBatch({ records: [], firstTimestamp: T0 }));
    expect(out.records).toEqual([]);
    expect(out.recordCount).toBe(0);
    expect(out.firstTimestamp).toBe(T0);
  });

  it('decodes a view inside a larger buffer', () => {
    const all = Buffer.concat([encodeRecordBatch({ records: [{ value: 'x' }] }), encodeRecordBatch({ baseOffset: 1, records: [{ value: 'y' }], compression: CompressionType.Zstd })]);
    const views = splitRecordBatches(all);
    expect(decodeRecordBatch(views[1]).records[0].value?.toString()).toBe('y');
    expect(decodeRecordBatch(views[1]).records[0].offset).toBe(1);
  });

  it('writes and reads transaction markers', () => {
    const buf = encodeEndTxnMarkerBatch({ producerId: 5000, producerEpoch: 4, commit: false, coordinatorEpoch: 12, timestamp: T0, baseOffset: 50 });
    const out = decodeRecordBatch(buf);
    expect(out.isControl).toBe(true);
    expect(out.isTransactional).toBe(true);
    expect(out.producerId).toBe(5000);
    expect(out.records).toHaveLength(1);
    expect(decodeControlRecordKey(out.records[0].key)).toEqual({ version: 0, type: ControlRecordType.Abort });
    expect(decodeEndTxnMarkerValue(out.records[0].value)).toEqual({ version: 0, coordinatorEpoch: 12 });
  });

  describe('corrupt input', () => {
    it.each(CODECS)('a flipped byte fails the CRC (codec %i), and decoding without the CRC check never throws anything untyped', (compression) => {
      const buf = encodeRecordBatch({ compression, records: records() });
      for (let at = 21; at < Math.min(buf.length, 400); at += 7) {
        const copy = Buffer.from(buf);
        copy[at] ^= 0x40;
        expect(new RecordBatchView(copy).verifyCrc()).toBe(false);
        expect(errCode(() => decodeRecordBatch(copy))).toBe(2);
        try {
          decodeRecordBatch(copy, { verifyCrc: false, maxOutputBytes: 1 << 20 });
        } catch (e) {
          expect(e).toBeInstanceOf(KafkaProtocolError);
        }
      }
    });

    it.each(CODECS)('a truncated batch raises CORRUPT_MESSAGE (codec %i)', (compression) => {
      const buf = encodeRecordBatch({ compression, records: records() });
      for (const cut of [1, 2, 10, 100, buf.length - 61, buf.length - 20]) {
        expect(errCode(() => decodeRecordBatch(buf.subarray(0, buf.length - cut)))).toBe(2);
        expect(errCode(() => splitRecordBatches(buf.subarray(0, buf.length - cut)))).toBe(2);
      }
    });

    it('a batch with its records cut short but a consistent length and CRC raises CORRUPT_MESSAGE', () => {
      const good = encodeRecordBatch({ records: records() });
      const short = Buffer.from(good.subarray(0, good.length - 5));
      short.writeInt32BE(short.length - 12, 8);
      new RecordBatchView(short).updateCrc();
      expect(errCode(() => decodeRecordBatch(short))).toBe(2);
      expect(errCode(() => validateRecordBatch(new RecordBatchView(short)))).toBe(2);
    });

    it('a huge record count is refused before allocating', () => {
      const buf = encodeRecordBatch({ records: [{ value: 'x' }] });
      buf.writeInt32BE(0x7fffffff, 57);
      new RecordBatchView(buf).updateCrc();
      expect(errCode(() => decodeRecordBatch(buf))).toBe(2);
    });
  });
});
