import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog } from './partition-log';
import { batch, readAll, rmrf, tempDir } from './test/helpers';

describe('retention', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('runnel-retention-');
  });
  afterEach(() => rmrf(root));

  const fill = async (log: PartitionLog, n: number, ts: (i: number) => number) => {
    for (let i = 0; i < n; i++) await log.append(batch([{ value: `v${i}`.padEnd(80, '.'), timestamp: ts(i) }]));
  };

  it('by time: deletes whole segments whose newest record is older than retention.ms, oldest first', async () => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open({ dir, topic: 't', partition: 0, config: { segmentBytes: 600, retentionMs: 10_000, fileDeleteDelayMs: 50 } });
    await fill(log, 40, (i) => 100_000 + i * 1000); // timestamps 100s .. 139s
    const segs = log.segments.map((s) => ({ base: s.baseOffset, maxTs: s.maxTimestamp }));
    expect(segs.length).toBeGreaterThan(4);
    const now = 125_500;
    const deleted = await log.applyRetention(now);
    const expectedGone = segs.filter((s, i) => i < segs.length - 1 && now - s.maxTs > 10_000);
    expect(deleted).toBe(expectedGone.length);
    expect(deleted).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(segs[deleted].base);
    // Records in the kept segments are all there; nothing below the start is readable.
    const recs = await readAll(log, log.logStartOffset);
    expect(recs[0].offset).toBe(log.logStartOffset);
    expect(recs[recs.length - 1].offset).toBe(39);
    await expect(log.read(0, 100)).rejects.toThrow(/out of range/);
    // Files are renamed to .deleted first and unlinked after file.delete.delay.ms.
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.log.deleted'))).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.deleted'))).toBe(false);
    // Everything expired: the active segment is rolled and deleted too; the log keeps its end offset.
    await log.applyRetention(1_000_000);
    expect(log.sizeInBytes).toBe(0);
    expect(log.logStartOffset).toBe(40);
    expect(log.logEndOffset).toBe(40);
    expect((await log.append(batch([{ value: 'again' }]))).firstOffset).toBe(40);
    await log.close();
  });

  it('by size: deletes the oldest whole segments while the log is larger than retention.bytes', async () => {
    const dir = path.join(root, 's-0');
    const log = await PartitionLog.open({ dir, topic: 's', partition: 0, config: { segmentBytes: 600, retentionBytes: 1500, retentionMs: -1, fileDeleteDelayMs: 0 } });
    await fill(log, 60, () => Date.now());
    const before = log.sizeInBytes;
    const sizes = log.segments.map((s) => s.size);
    await log.applyRetention();
    // Whole segments only: what is left is the newest suffix of segments, and removing one more would undercut it.
    expect(log.sizeInBytes).toBeGreaterThanOrEqual(1500);
    const left = log.numberOfSegments;
    expect(log.sizeInBytes).toBe(sizes.slice(sizes.length - left).reduce((a, b) => a + b, 0));
    expect(log.sizeInBytes - log.segments[0].size).toBeLessThan(1500);
    expect(before).toBeGreaterThan(log.sizeInBytes);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBe(left);
    // Unlimited retention deletes nothing.
    log.updateConfig({ retentionBytes: -1 });
    expect(await log.applyRetention()).toBe(0);
    // compact-only logs are not deleted by retention
    log.updateConfig({ retentionBytes: 0, cleanupPolicy: 'compact' });
    expect(await log.applyRetention()).toBe(0);
    log.updateConfig({ cleanupPolicy: 'compact,delete' });
    expect(await log.applyRetention()).toBeGreaterThan(0);
    await log.close();
  });
});
