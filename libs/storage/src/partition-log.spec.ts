import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordBatchView, splitRecordBatches } from '@runnel/protocol';
import { OffsetOutOfRangeError } from './errors';
import { PartitionLog } from './partition-log';
import { SegmentCache } from './segment';
import { batch, decodeAll, readAll, rmrf, sizedBatch, tempDir } from './test/helpers';

describe('PartitionLog', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir();
  });
  afterEach(() => rmrf(root));

  const open = (cfg: Parameters<typeof PartitionLog.open>[0]['config'] = {}, extra: Partial<Parameters<typeof PartitionLog.open>[0]> = {}) =>
    PartitionLog.open({ dir: path.join(root, 'orders-3'), topic: 'orders', partition: 3, config: cfg, ...extra });

  it('assigns offsets by patching base offset and leader epoch in place, and reads raw bytes back', async () => {
    const log = await open();
    const b1 = batch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const r1 = await log.append(b1, { leaderEpoch: 5 });
    expect(r1).toMatchObject({ firstOffset: 0, lastOffset: 2, logAppendTime: -1, recordCount: 3 });
    expect(new RecordBatchView(b1).baseOffset).toBe(0);
    expect(new RecordBatchView(b1).partitionLeaderEpoch).toBe(5);
    const b2 = batch([{ value: 'd' }]);
    const r2 = await log.append(b2, { leaderEpoch: 5 });
    expect(r2.firstOffset).toBe(3);
    expect(new RecordBatchView(b2).baseOffset).toBe(3);
    expect(new RecordBatchView(b2).verifyCrc()).toBe(true);
    expect(log.logEndOffset).toBe(4);
    const r = await log.read(0, 1 << 20);
    expect(Buffer.concat(r.chunks).equals(Buffer.concat([b1, b2]))).toBe(true);
    expect(r.firstBatchOffset).toBe(0);
    expect(r.nextOffset).toBe(4);
    expect(decodeAll(r.chunks).map((x) => x.value)).toEqual(['a', 'b', 'c', 'd']);
    r.release();
    // Kafka's layout.
    expect(fs.readdirSync(log.dir).sort()).toEqual(expect.arrayContaining(['00000000000000000000.log', 'leader-epoch-checkpoint']));
    expect(fs.readFileSync(path.join(log.dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n5 0\n');
    await log.close();
    expect(fs.readdirSync(log.dir).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex', 'leader-epoch-checkpoint']);
  });

  it('appends several batches in one call and many concurrent appends in order', async () => {
    const log = await open();
    const two = Buffer.concat([batch([{ value: 'a' }]), batch([{ value: 'b' }, { value: 'c' }])]);
    expect(await log.append(two)).toMatchObject({ firstOffset: 0, lastOffset: 2 });
    // Mix of small (sync path) and large (thread pool) appends in flight together.
    const ps: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) ps.push(log.append(i % 7 === 0 ? sizedBatch(10, 100_000, 1, `big${i}`) : batch([{ value: `s${i}` }])));
    const res = (await Promise.all(ps)) as Array<{ firstOffset: number; lastOffset: number }>;
    let expectNext = 3;
    for (const r of res) {
      expect(r.firstOffset).toBe(expectNext);
      expectNext = r.lastOffset + 1;
    }
    expect(log.logEndOffset).toBe(expectNext);
    const all = await readAll(log, 0);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: expectNext }, (_, i) => i));
    await log.close();
  });

  it('reads starting inside a batch, at segment boundaries, with maxBytes, maxOffset and minOneBatch', async () => {
    const log = await open({ segmentBytes: 500, indexIntervalBytes: 100 });
    const batches: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const b = batch([{ value: `v${i}a` }, { value: `v${i}b` }, { value: `v${i}c` }]);
      batches.push(b);
      await log.append(b);
    }
    expect(log.numberOfSegments).toBeGreaterThan(3);
    const bases = log.segments.map((s) => s.baseOffset);
    for (const name of fs.readdirSync(log.dir).filter((n) => n.endsWith('.log'))) expect(name).toMatch(/^\d{20}\.log$/);
    // Inside a batch: offset 4 lives in the batch starting at 3.
    let r = await log.read(4, 1);
    expect(r.firstBatchOffset).toBe(3);
    expect(r.chunks.length).toBe(1);
    expect(Buffer.concat(r.chunks).equals(batches[1])).toBe(true);
    // Exactly at each segment boundary and one before it.
    for (const b of bases.slice(1)) {
      r = await log.read(b, 1);
      expect(r.firstBatchOffset).toBe(b);
      r = await log.read(b - 1, 1);
      expect(r.firstBatchOffset).toBe(b - 3);
      // A large read crosses into the next segment.
      r = await log.read(b - 1, 10_000);
      const recs = decodeAll(r.chunks);
      expect(recs[0].offset).toBe(b - 3);
      expect(recs.map((x) => x.offset)).toEqual(Array.from({ length: recs.length }, (_, i) => b - 3 + i));
      expect(recs[recs.length - 1].offset).toBeGreaterThan(b + 2);
    }
    // maxBytes: whole batches only, never more than asked (beyond the first).
    r = await log.read(0, batches[0].length * 3 + 5);
    expect(r.bytes).toBe(batches[0].length + batches[1].length + batches[2].length);
    // minOneBatch=false with too little room returns nothing.
    r = await log.read(0, 10, { minOneBatch: false });
    expect(r.bytes).toBe(0);
    // maxOffset (high watermark) is exclusive on the batch's last offset.
    r = await log.read(0, 1 << 20, { maxOffset: 7 });
    expect(decodeAll(r.chunks).map((x) => x.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    // Read at the end is empty, beyond it is out of range.
    r = await log.read(120, 100);
    expect(r.bytes).toBe(0);
    await expect(log.read(121, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    // Everything, in several step sizes, including with a tiny LRU so segments are reopened.
    for (const step of [1, 150, 700, 5000]) {
      const all = await readAll(log, 0, step);
      expect(all.map((x) => x.offset)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    }
    await log.close();
  });

  it('keeps file handles bounded with an LRU and reopens sealed segments on demand', async () => {
    const cache = new SegmentCache(3, 1 << 20);
    const log = await open({ segmentBytes: 1000 }, { cache });
    for (let i = 0; i < 60; i++) await log.append(batch([{ value: `value-${i}`.padEnd(100, '.') }]));
    expect(log.numberOfSegments).toBeGreaterThan(10);
    const all = await readAll(log, 0, 300);
    expect(all.length).toBe(60);
    expect(cache.openSegments).toBeLessThanOrEqual(3);
    await log.close();
  });

  it('rolls on segment.ms (by record time) and on a full index', async () => {
    const log = await open({ segmentMs: 1000, indexIntervalBytes: 0, segmentIndexBytes: 8 * 4 });
    await log.append(batch([{ value: 'a', timestamp: 10_000 }]));
    await log.append(batch([{ value: 'b', timestamp: 10_500 }]));
    expect(log.numberOfSegments).toBe(1);
    await log.append(batch([{ value: 'c', timestamp: 11_001 }]));
    expect(log.numberOfSegments).toBe(2);
    // index full: 4 entries max, one per batch after the first
    for (let i = 0; i < 6; i++) await log.append(batch([{ value: `d${i}`, timestamp: 11_002 }]));
    expect(log.numberOfSegments).toBe(3);
    expect((await readAll(log, 0)).length).toBe(9);
    await log.close();
  });

  it('finds offsets by timestamp', async () => {
    const log = await open({ segmentBytes: 600, indexIntervalBytes: 50 });
    for (let i = 0; i < 30; i++) await log.append(batch([{ value: `a${i}`, timestamp: 1000 + i * 10 }, { value: `b${i}`, timestamp: 1005 + i * 10 }]));
    expect(log.numberOfSegments).toBeGreaterThan(2);
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 1000 });
    expect(await log.offsetForTimestamp(1005)).toEqual({ offset: 1, timestamp: 1005 });
    expect(await log.offsetForTimestamp(1006)).toEqual({ offset: 2, timestamp: 1010 });
    expect(await log.offsetForTimestamp(1203)).toEqual({ offset: 41, timestamp: 1205 });
    expect(await log.offsetForTimestamp(1296)).toBeNull();
    expect(await log.offsetForTimestamp(-1)).toEqual({ offset: 60, timestamp: -1 });
    expect(await log.offsetForTimestamp(-2)).toEqual({ offset: 0, timestamp: -1 });
    expect(await log.offsetForTimestamp(-3)).toEqual({ offset: 59, timestamp: 1295 });
    await log.close();
    const again = await open({ segmentBytes: 600, indexIntervalBytes: 50 });
    expect(await again.offsetForTimestamp(1203)).toEqual({ offset: 41, timestamp: 1205 });
    await again.close();
  });

  it('stamps LogAppendTime batches with the broker clock', async () => {
    const log = await open({ messageTimestampType: 'LogAppendTime' }, { now: () => 424242 });
    const b = batch([{ value: 'x', timestamp: 5 }]);
    const r = await log.append(b);
    expect(r.logAppendTime).toBe(424242);
    const v = new RecordBatchView(b);
    expect(v.timestampType).toBe(1);
    expect(v.maxTimestamp).toBe(424242);
    expect(v.verifyCrc()).toBe(true);
    await log.close();
  });

  it('truncates to an offset (follower divergence), keeps epochs consistent and appends again', async () => {
    const log = await open({ segmentBytes: 500 });
    for (let e = 1; e <= 3; e++) for (let i = 0; i < 10; i++) await log.append(batch([{ value: `e${e}-${i}`.padEnd(40, '-') }]), { leaderEpoch: e });
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 10 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 20 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 30 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: -1, endOffset: -1 });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
    await log.truncateTo(15);
    expect(log.logEndOffset).toBe(15);
    expect(log.latestEpoch).toBe(2);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 15 });
    expect((await readAll(log, 0)).map((r) => r.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    const r = await log.append(batch([{ value: 'new' }]), { leaderEpoch: 4 });
    expect(r.firstOffset).toBe(15);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 15 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 2, endOffset: 15 });
    await log.close();
    const again = await open({ segmentBytes: 500 });
    expect(again.logEndOffset).toBe(16);
    expect(again.epochs.all).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 15 },
    ]);
    const recs = await readAll(again, 0);
    expect(recs[15].value).toBe('new');
    // Appends and reads issued while a truncation runs wait for it and see the new end.
    const t = again.truncateTo(12);
    const [appended, read] = await Promise.all([again.append(batch([{ value: 'racer' }]), { leaderEpoch: 5 }), again.read(0, 1 << 20), t]);
    expect(appended.firstOffset).toBe(12);
    expect(read.logEndOffset).toBe(13);
    // Truncation below the start empties the log.
    await again.truncateTo(0);
    expect(again.logEndOffset).toBe(0);
    await again.close();
  });

  it('truncating at the log end drops an epoch that started there with nothing appended (a leader that wrote nothing)', async () => {
    const log = await open();
    for (let i = 0; i < 3; i++) await log.append(batch([{ value: `v${i}` }]), { leaderEpoch: 1 });
    log.epochs.assign(2, log.logEndOffset);
    expect(log.latestEpoch).toBe(2);
    await log.truncateTo(3);
    expect(log.logEndOffset).toBe(3);
    expect(log.latestEpoch).toBe(1);
    expect(log.epochs.all).toEqual([{ epoch: 1, startOffset: 0 }]);
    await log.close();
  });

  it('follower appends keep offsets and reject going backwards', async () => {
    const log = await open();
    const b = batch([{ value: 'a' }, { value: 'b' }], { baseOffset: 100, epoch: 7 });
    await expect(log.append(b, { assignOffsets: false })).resolves.toMatchObject({ firstOffset: 100, lastOffset: 101 });
    expect(log.logEndOffset).toBe(102);
    expect(log.latestEpoch).toBe(7);
    await expect(log.append(batch([{ value: 'c' }], { baseOffset: 50 }), { assignOffsets: false })).rejects.toThrow(/below the log end offset/);
    await log.close();
  });

  it('deleteRecordsBefore advances the log start offset and removes whole segments below it', async () => {
    const log = await open({ segmentBytes: 400, fileDeleteDelayMs: 0 });
    for (let i = 0; i < 40; i++) await log.append(batch([{ value: `v${i}`.padEnd(50, '.') }]));
    const segsBefore = log.numberOfSegments;
    expect(await log.deleteRecordsBefore(17)).toBe(17);
    expect(log.logStartOffset).toBe(17);
    expect(log.numberOfSegments).toBeLessThan(segsBefore);
    await expect(log.read(16, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    const r = await log.read(17, 1);
    expect(decodeAll(r.chunks)[0].offset).toBe(17);
    await expect(log.deleteRecordsBefore(41)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await log.close();
    const again = await open({ segmentBytes: 400 }, { logStartOffset: 17 });
    expect(again.logStartOffset).toBe(17);
    await again.close();
  });

  it('fsyncs per append with flush.messages=1 and moves the recovery point; flush.ms flushes in the background', async () => {
    const log = await open({ flushMessages: 1 });
    await log.append(batch([{ value: 'a' }]));
    expect(log.recoveryPoint).toBe(1);
    expect(log.unflushedMessages).toBe(0);
    // Concurrent appends share fsyncs (group commit) and all resolve flushed.
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(batch([{ value: `x${i}` }]))));
    expect(log.recoveryPoint).toBe(21);
    await log.close();
    const log2 = await PartitionLog.open({ dir: path.join(root, 't-0'), topic: 't', partition: 0, config: { flushMs: 20 } });
    await log2.append(batch([{ value: 'a' }]));
    expect(log2.recoveryPoint).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(log2.recoveryPoint).toBe(1);
    await log2.close();
  });

  it('reopens after a clean close without rescanning and continues the offsets', async () => {
    const log = await open({ segmentBytes: 3000 });
    for (let i = 0; i < 100; i++) await log.append(batch([{ value: `v${i}` }]));
    const leo = log.logEndOffset;
    const segments = log.numberOfSegments;
    await log.close();
    const again = await open({ segmentBytes: 3000 }, { recoveryPoint: leo });
    expect(again.logEndOffset).toBe(leo);
    expect(again.numberOfSegments).toBe(segments);
    expect((await again.append(batch([{ value: 'next' }]))).firstOffset).toBe(leo);
    const recs = await readAll(again, 0);
    expect(recs.length).toBe(leo + 1);
    await again.close();
  });

  it('keeps the topic id in partition.metadata', async () => {
    const log = await open();
    expect(log.topicId).toBeNull();
    log.setTopicId('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(fs.readFileSync(path.join(log.dir, 'partition.metadata'), 'utf8')).toBe('version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n');
    expect(log.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    await log.close();
  });

  it('rejects malformed input', async () => {
    const log = await open();
    const b = batch([{ value: 'a' }]);
    await expect(log.append(b.subarray(0, b.length - 1))).rejects.toMatchObject({ code: 2 });
    await expect(log.append(Buffer.alloc(0))).rejects.toMatchObject({ code: 2 });
    expect(splitRecordBatches(b).length).toBe(1);
    await log.close();
    await expect(log.append(b)).rejects.toThrow(/closed/);
  });
});
