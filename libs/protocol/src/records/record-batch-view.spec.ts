import { KafkaProtocolError } from '../errors';
import { crc32c } from '../crc32c';
import { CompressionType } from '../compression';
import {
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchView,
  splitRecordBatches,
  TimestampType,
  validateRecordBatch,
} from './record-batch-view';
import { encodeRecordBatch } from './record-batch';
import { encodeEndTxnMarkerBatch } from './control';

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

function batch(n = 3, extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}): Buffer {
  return encodeRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(20 + i, i), timestamp: 1_700_000_000_000 + i })),
    ...extra,
  });
}

/** A magic-0 message set entry (offset, size, crc, magic 0, attributes, key -1, value). */
function legacyMessage(magic: 0 | 1): Buffer {
  const value = Buffer.from('legacy');
  const body = Buffer.alloc(4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4 + value.length);
  let p = 4;
  body.writeInt8(magic, p++);
  body.writeInt8(0, p++);
  if (magic === 1) p = body.writeBigInt64BE(0n, p);
  p = body.writeInt32BE(-1, p);
  p = body.writeInt32BE(value.length, p);
  value.copy(body, p);
  const head = Buffer.alloc(12);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

describe('RecordBatchView', () => {
  it('reads every header field', () => {
    const buf = encodeRecordBatch({
      baseOffset: 2 ** 40 + 5,
      partitionLeaderEpoch: 7,
      producerId: 2 ** 35 + 1,
      producerEpoch: 3,
      baseSequence: 100,
      isTransactional: true,
      timestampType: TimestampType.CreateTime,
      compression: CompressionType.Gzip,
      records: [
        { key: 'a', value: 'x', timestamp: 1_700_000_000_123 },
        { key: null, value: null, timestamp: 1_700_000_000_100 },
      ],
    });
    const v = new RecordBatchView(buf);
    expect(v.baseOffset).toBe(2 ** 40 + 5);
    expect(v.batchLength).toBe(buf.length - 12);
    expect(v.totalSize).toBe(buf.length);
    expect(v.partitionLeaderEpoch).toBe(7);
    expect(v.magic).toBe(2);
    expect(v.compression).toBe(CompressionType.Gzip);
    expect(v.timestampType).toBe(0);
    expect(v.isTransactional).toBe(true);
    expect(v.isControl).toBe(false);
    expect(v.attributes).toBe(0x11);
    expect(v.lastOffsetDelta).toBe(1);
    expect(v.lastOffset).toBe(2 ** 40 + 6);
    expect(v.nextOffset).toBe(2 ** 40 + 7);
    expect(v.firstTimestamp).toBe(1_700_000_000_100);
    expect(v.maxTimestamp).toBe(1_700_000_000_123);
    expect(v.producerId).toBe(2 ** 35 + 1);
    expect(v.producerEpoch).toBe(3);
    expect(v.baseSequence).toBe(100);
    expect(v.lastSequence).toBe(101);
    expect(v.recordCount).toBe(2);
    expect(v.crc).toBe(crc32c(buf.subarray(21)));
    expect(v.verifyCrc()).toBe(true);
    expect(v.bytes).toEqual(buf);
    expect(v.recordsBytes.length).toBe(buf.length - RECORD_BATCH_HEADER_SIZE);
  });

  it('reads -1 markers of an idempotence-less batch', () => {
    const v = new RecordBatchView(batch(1));
    expect(v.producerId).toBe(-1);
    expect(v.producerEpoch).toBe(-1);
    expect(v.baseSequence).toBe(-1);
    expect(v.lastSequence).toBe(-1);
    expect(v.partitionLeaderEpoch).toBe(-1);
  });

  it('wraps lastSequence at int32 like Kafka', () => {
    const v = new RecordBatchView(batch(3, { baseSequence: 0x7fffffff }));
    expect(v.lastSequence).toBe(1);
  });

  it('patches base offset and leader epoch in place without touching the CRC', () => {
    const buf = batch(5);
    const v = new RecordBatchView(buf);
    const crc = v.crc;
    v.setBaseOffset(123_456_789_012);
    v.setPartitionLeaderEpoch(42);
    expect(v.baseOffset).toBe(123_456_789_012);
    expect(v.lastOffset).toBe(123_456_789_016);
    expect(v.partitionLeaderEpoch).toBe(42);
    expect(v.crc).toBe(crc);
    expect(v.verifyCrc()).toBe(true);
    v.setBaseOffset(0);
    expect(v.baseOffset).toBe(0);
  });

  it('sets LogAppendTime and rewrites the CRC', () => {
    const buf = batch(2);
    const v = new RecordBatchView(buf);
    v.setMaxTimestamp(TimestampType.LogAppendTime, 1_800_000_000_000);
    expect(v.timestampType).toBe(1);
    expect(v.maxTimestamp).toBe(1_800_000_000_000);
    expect(v.verifyCrc()).toBe(true);
    expect(() => validateRecordBatch(v)).not.toThrow();
  });

  it('works at a non-zero offset inside a larger buffer', () => {
    const a = batch(2);
    const b = batch(3, { baseOffset: 10 });
    const all = Buffer.concat([a, b]);
    const v = new RecordBatchView(all, a.length);
    expect(v.baseOffset).toBe(10);
    expect(v.recordCount).toBe(3);
    expect(v.verifyCrc()).toBe(true);
  });

  it('detects a flipped byte anywhere in the CRC-covered range', () => {
    const buf = batch(4);
    for (const at of [21, 22, 30, 57, 61, 70, buf.length - 1]) {
      const copy = Buffer.from(buf);
      copy[at] ^= 0x01;
      expect(new RecordBatchView(copy).verifyCrc()).toBe(false);
      expect(code(() => validateRecordBatch(new RecordBatchView(copy), { checkRecords: false }))).toBeDefined();
    }
    // ...but not in the fields before it (base offset, length, leader epoch)
    const copy = Buffer.from(buf);
    copy[3] ^= 0xff;
    copy[13] ^= 0xff;
    expect(new RecordBatchView(copy).verifyCrc()).toBe(true);
  });

  it('control batch flags', () => {
    const v = new RecordBatchView(encodeEndTxnMarkerBatch({ producerId: 9, producerEpoch: 1, commit: true, coordinatorEpoch: 4 }));
    expect(v.isControl).toBe(true);
    expect(v.isTransactional).toBe(true);
    expect(v.attributes).toBe(0x30);
    expect(() => validateRecordBatch(v)).not.toThrow();
  });
});

describe('splitRecordBatches', () => {
  it('splits concatenated batches zero-copy', () => {
    const parts = [batch(1), batch(2, { compression: CompressionType.Gzip }), batch(3)];
    const all = Buffer.concat(parts);
    const views = splitRecordBatches(all);
    expect(views.map((v) => v.recordCount)).toEqual([1, 2, 3]);
    expect(views[1].offset).toBe(parts[0].length);
    expect(views[2].buf).toBe(all);
    views[2].setBaseOffset(77);
    expect(all.readBigInt64BE(parts[0].length + parts[1].length)).toBe(77n);
  });

  it('returns nothing for an empty buffer', () => {
    expect(splitRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects truncation with CORRUPT_MESSAGE', () => {
    const all = Buffer.concat([batch(2), batch(3)]);
    for (const cut of [1, 11, 12, 16, 17, 40, 61, all.length - 1]) {
      expect(code(() => splitRecordBatches(all.subarray(0, all.length - cut)))).toBe(2);
    }
  });

  it('ignores a partial trailing batch when asked (fetch responses)', () => {
    const a = batch(2);
    const all = Buffer.concat([a, batch(3)]);
    for (const cut of [1, 30, all.length - a.length - 1]) {
      const views = splitRecordBatches(all.subarray(0, all.length - cut), { allowPartialTrailing: true });
      expect(views.length).toBe(1);
    }
  });

  it('rejects a batchLength below the header size', () => {
    const buf = batch(1);
    buf.writeInt32BE(10, 8);
    expect(code(() => splitRecordBatches(buf))).toBe(2);
    buf.writeInt32BE(-5, 8);
    expect(code(() => splitRecordBatches(buf))).toBe(2);
  });

  it('rejects magic 0 and 1 with UNSUPPORTED_FOR_MESSAGE_FORMAT and a clear message', () => {
    for (const magic of [0, 1] as const) {
      let err: unknown;
      try {
        splitRecordBatches(legacyMessage(magic));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KafkaProtocolError);
      expect((err as KafkaProtocolError).code).toBe(43);
      expect((err as Error).message).toMatch(new RegExp(`magic ${magic}.*record batch v2`));
    }
  });

  it('rejects an unknown magic with CORRUPT_MESSAGE', () => {
    const buf = batch(1);
    buf[16] = 3;
    expect(code(() => splitRecordBatches(buf))).toBe(2);
  });
});

describe('validateRecordBatch', () => {
  it('accepts batches from encodeRecordBatch with every codec', () => {
    for (const c of [0, 1, 2, 3, 4]) {
      expect(() => validateRecordBatch(new RecordBatchView(batch(10, { compression: c })))).not.toThrow();
    }
  });

  it('raises CORRUPT_MESSAGE on a CRC mismatch', () => {
    const buf = batch(3);
    buf[buf.length - 1] ^= 0x80;
    expect(code(() => validateRecordBatch(new RecordBatchView(buf)))).toBe(2);
  });

  it('raises CORRUPT_MESSAGE on a truncated batch', () => {
    const buf = batch(3);
    expect(code(() => validateRecordBatch(new RecordBatchView(buf.subarray(0, buf.length - 1))))).toBe(2);
    expect(code(() => validateRecordBatch(new RecordBatchView(buf.subarray(0, 40))))).toBe(2);
  });

  it('raises INVALID_RECORD when lastOffsetDelta and record count disagree', () => {
    const buf = batch(3, { lastOffsetDelta: 5 });
    expect(code(() => validateRecordBatch(new RecordBatchView(buf)))).toBe(87);
    expect(() => validateRecordBatch(new RecordBatchView(buf), { checkOffsetRange: false })).not.toThrow();
    const empty = encodeRecordBatch({ records: [] });
    expect(code(() => validateRecordBatch(new RecordBatchView(empty)))).toBe(87);
    expect(() => validateRecordBatch(new RecordBatchView(empty), { checkOffsetRange: false })).not.toThrow();
  });

  it('raises CORRUPT_MESSAGE when the records do not fill the batch exactly', () => {
    // claim 4 records while 3 are present (lastOffsetDelta consistent), then fix the CRC
    const buf = batch(3);
    buf.writeInt32BE(4, 57);
    buf.writeInt32BE(3, 23);
    new RecordBatchView(buf).updateCrc();
    expect(code(() => validateRecordBatch(new RecordBatchView(buf)))).toBe(2);
    // claim 2 records while 3 are present
    const buf2 = batch(3);
    buf2.writeInt32BE(2, 57);
    buf2.writeInt32BE(1, 23);
    new RecordBatchView(buf2).updateCrc();
    expect(code(() => validateRecordBatch(new RecordBatchView(buf2)))).toBe(2);
  });

  it('rejects magic 0/1', () => {
    expect(code(() => validateRecordBatch(new RecordBatchView(legacyMessage(1))))).toBe(43);
  });

  describe('record-level checks', () => {
    const T = 1_700_000_000_000;
    const mk = (compression: number, keys: Array<string | null>, ts: number[] = keys.map(() => T)) =>
      new RecordBatchView(encodeRecordBatch({ compression, records: keys.map((key, i) => ({ key, value: 'v', timestamp: ts[i] })) }));

    it.each([0, 1, 2, 3, 4])('requireKeys rejects a null key with INVALID_RECORD (codec %i)', (c) => {
      const inspect = c === 0 ? {} : { inspectCompressed: true };
      expect(() => validateRecordBatch(mk(c, ['a', 'b']), { requireKeys: true, ...inspect })).not.toThrow();
      expect(code(() => validateRecordBatch(mk(c, ['a', null]), { requireKeys: true, ...inspect }))).toBe(87);
      expect(() => validateRecordBatch(mk(c, ['a', null]))).not.toThrow();
    });

    it('compressed batches get record checks only with inspectCompressed', () => {
      expect(() => validateRecordBatch(mk(CompressionType.Zstd, [null]), { requireKeys: true })).not.toThrow();
      expect(code(() => validateRecordBatch(mk(CompressionType.Zstd, [null]), { requireKeys: true, inspectCompressed: true }))).toBe(87);
    });

    it.each([0, 4])('timestampRange rejects out-of-range CreateTime records with INVALID_TIMESTAMP (codec %i)', (c) => {
      const opts = { timestampRange: { min: T - 1000, max: T + 1000 }, inspectCompressed: true };
      expect(() => validateRecordBatch(mk(c, ['a', 'b'], [T, T + 1000]), opts)).not.toThrow();
      expect(code(() => validateRecordBatch(mk(c, ['a', 'b'], [T, T + 1001]), opts))).toBe(32);
      expect(code(() => validateRecordBatch(mk(c, ['a', 'b'], [T - 5000, T]), opts))).toBe(32);
    });

    it('timestampRange is ignored for LogAppendTime batches', () => {
      const v = mk(0, ['a'], [T - 1e9]);
      v.setMaxTimestamp(TimestampType.LogAppendTime, T);
      expect(() => validateRecordBatch(v, { timestampRange: { min: T - 1, max: T + 1 } })).not.toThrow();
    });

    it('inspectCompressed catches undecodable payloads and honours the size cap', () => {
      const v = mk(CompressionType.Gzip, Array.from({ length: 50 }, (_, i) => `key-${i}`));
      expect(code(() => validateRecordBatch(v, { inspectCompressed: { maxOutputBytes: 100 } }))).toBe(2);
      const bad = Buffer.from(v.bytes);
      bad[bad.length - 10] ^= 0xff;
      const bv = new RecordBatchView(bad);
      bv.updateCrc();
      expect(code(() => validateRecordBatch(bv, { inspectCompressed: true }))).toBe(2);
      expect(() => validateRecordBatch(bv)).not.toThrow();
    });
  });
});
