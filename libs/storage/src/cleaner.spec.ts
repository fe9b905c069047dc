import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRecordBatch } from '@runnel/protocol';
import { cleanLog } from './cleaner';
import { PartitionLog } from './partition-log';
import { FlatRecord, readAll, rmrf, tempDir } from './test/helpers';

jest.setTimeout(30_000);

/** Small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('log cleaner (compaction)', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('runnel-cleaner-');
  });
  afterEach(() => rmrf(root));

  for (const seed of [1, 2, 3]) {
    it(`matches an in-memory model with random keys, tombstones and interleaved appends (seed ${seed})`, async () => {
      const random = rng(seed);
      const T0 = 1_000_000;
      const deleteRetentionMs = 5_000;
      const cfg = { cleanupPolicy: 'compact' as const, segmentBytes: 1200, deleteRetentionMs, fileDeleteDelayMs: 0, minCleanableDirtyRatio: 0.01 };
      const dir = path.join(root, 'c-0');
      let log = await PartitionLog.open({ dir, topic: 'c', partition: 0, config: cfg });
      const all: FlatRecord[] = [];
      let ts = T0;
      let appended = 0;
      let cleans: Array<Promise<unknown>> = [];
      for (let round = 0; round < 300; round++) {
        const n = 1 + Math.floor(random() * 4);
        const records = [];
        for (let k = 0; k < n; k++) {
          const key = `key-${Math.floor(random() * 25)}`;
          const value = random() < 0.15 ? null : `val-${round}-${k}`;
          ts += Math.floor(random() * 100);
          records.push({ key, value, timestamp: ts });
        }
        const compression = random() < 0.3 ? 1 : 0;
        const buf = encodeRecordBatch({ compression, records });
        appended += buf.length;
        const r = await log.append(buf, { leaderEpoch: 1 });
        records.forEach((x, i) => all.push({ offset: r.firstOffset + i, key: x.key, value: x.value, timestamp: x.timestamp }));
        // Start cleaning passes while appends keep going (not awaited here: the cleaner must not block appends).
        if (round % 40 === 39) cleans.push(cleanLog(log, { now: ts, force: true }));
      }
      await Promise.all(cleans);
      cleans = [];
      const now = ts + 1;
      const result = await cleanLog(log, { now, force: true });
      // Possibly nothing left to do if the last interleaved pass covered everything.
      const firstDirty = log.firstDirtyOffset;
      expect(firstDirty).toBe(log.activeSegment.baseOffset);
      if (result) expect(result.bytesAfter).toBeLessThanOrEqual(result.bytesBefore);

      const check = async (l: PartitionLog) => {
        const got = await readAll(l, 0, 4096);
        const byOffset = new Map(all.map((r) => [r.offset, r]));
        // 1. offsets increase and every record is the original record at that offset (offsets and contents kept)
        for (let i = 0; i < got.length; i++) {
          if (i > 0) expect(got[i].offset).toBeGreaterThan(got[i - 1].offset);
          const orig = byOffset.get(got[i].offset)!;
          expect(got[i]).toEqual(orig);
        }
        const gotOffsets = new Set(got.map((r) => r.offset));
        // 2. the model: in the cleaned part, a key survives only at its latest offset (within the cleaned part);
        //    tombstones survive only while younger than delete.retention.ms; the dirty part is untouched.
        const latestClean = new Map<string, FlatRecord>();
        for (const r of all) if (r.offset < firstDirty) latestClean.set(r.key!, r);
        const latestAll = new Map<string, FlatRecord>();
        for (const r of all) latestAll.set(r.key!, r);
        for (const r of all) {
          if (r.offset >= firstDirty) {
            expect(gotOffsets.has(r.offset)).toBe(true);
            continue;
          }
          const isLatest = latestClean.get(r.key!)!.offset === r.offset;
          if (!isLatest) {
            // superseded; it may only remain if a pass before the newer record's arrival kept it, which the final
            // pass over the whole cleaned range removes
            expect(gotOffsets.has(r.offset)).toBe(false);
          } else if (r.value === null) {
            // cleaned tombstones go once older than the horizon at the time of the pass that saw them
            if (r.timestamp < now - deleteRetentionMs) expect(gotOffsets.has(r.offset)).toBe(false);
          } else {
            expect(gotOffsets.has(r.offset)).toBe(true);
          }
        }
        // 3. the final view a consumer builds equals the model's latest value per key (tombstone = absent)
        const view = new Map<string, string | null>();
        for (const r of got) view.set(r.key!, r.value);
        for (const [k, r] of latestAll) {
          if (r.value === null) expect(view.get(k) ?? null).toBeNull();
          else expect(view.get(k)).toBe(r.value);
        }
      };
      await check(log);
      expect(log.sizeInBytes).toBeLessThan(appended / 2);
      // The swapped-in segments are what is on disk: reopen and check again.
      await log.close();
      log = await PartitionLog.open({ dir, topic: 'c', partition: 0, config: cfg, recoveryPoint: 0 });
      await check(log);
      expect(fs.readdirSync(dir).filter((f) => /\.(cleaned|swap|deleted)$/.test(f))).toEqual([]);
      await log.close();
    });
  }

  it('never touches the active segment and leaves delete-only logs alone', async () => {
    const dir = path.join(root, 'd-0');
    const log = await PartitionLog.open({ dir, topic: 'd', partition: 0, config: { cleanupPolicy: 'delete' } });
    await log.append(encodeRecordBatch({ records: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] }));
    expect(await cleanLog(log, { force: true })).toBeNull();
    log.updateConfig({ cleanupPolicy: 'compact' });
    expect(await cleanLog(log, { force: true })).toBeNull(); // only the active segment exists
    expect((await readAll(log, 0)).length).toBe(2);
    await log.close();
  });

  it('finishes a swap interrupted after the cleaned segment was renamed to .swap', async () => {
    const cfg = { cleanupPolicy: 'compact' as const, segmentBytes: 600, fileDeleteDelayMs: 0 };
    const dir = path.join(root, 'f-0');
    const log = await PartitionLog.open({ dir, topic: 'f', partition: 0, config: cfg });
    for (let i = 0; i < 30; i++) await log.append(encodeRecordBatch({ records: [{ key: `k${i % 4}`, value: `v${i}`.padEnd(40, '.'), timestamp: 1 }] }));
    await log.close();
    const copy = path.join(root, 'g-0');
    fs.mkdirSync(copy);
    for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
    const before = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20)));
    // A larger segment.bytes for the cleaning run, so several old segments are merged into one.
    const cleaned = await PartitionLog.open({ dir, topic: 'f', partition: 0, config: { ...cfg, segmentBytes: 100_000 } });
    expect(await cleanLog(cleaned, { force: true, now: 2 })).not.toBeNull();
    const expected = await readAll(cleaned, 0);
    await cleaned.close();
    const after = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20)));
    const groupEnd = after[1];
    const olds = before.filter((b) => b < groupEnd);
    expect(olds.length).toBeGreaterThan(1);
    // The crash state: new segment complete as .swap, journal written, old segments still in place.
    fs.copyFileSync(path.join(dir, '00000000000000000000.log'), path.join(copy, '00000000000000000000.log.swap'));
    fs.writeFileSync(path.join(copy, 'cleaner-swap-journal'), `0 ${olds.join(' ')}\n`);
    const recovered = await PartitionLog.open({ dir: copy, topic: 'f', partition: 0, config: cfg, recoveryPoint: 0 });
    const got = await readAll(recovered, 0);
    expect(got.filter((r) => r.offset < groupEnd)).toEqual(expected.filter((r) => r.offset < groupEnd));
    expect(fs.readdirSync(copy).filter((f) => /swap|journal/.test(f))).toEqual([]);
    for (const b of olds.slice(1)) expect(fs.existsSync(path.join(copy, `${String(b).padStart(20, '0')}.log`))).toBe(false);
    await recovered.close();
  });

  it('drops leftovers of an interrupted cleaning at open', async () => {
    const dir = path.join(root, 'e-0');
    const log = await PartitionLog.open({ dir, topic: 'e', partition: 0, config: { cleanupPolicy: 'compact', segmentBytes: 200 } });
    for (let i = 0; i < 10; i++) await log.append(encodeRecordBatch({ records: [{ key: 'k', value: `v${i}`.padEnd(60, '.') }] }));
    await log.close();
    // Crash between writing the .cleaned files and the swap: journal present, no .swap yet.
    fs.writeFileSync(path.join(dir, '00000000000000000000.log.cleaned'), Buffer.alloc(10));
    fs.writeFileSync(path.join(dir, 'cleaner-swap-journal'), '0 0 1\n');
    const again = await PartitionLog.open({ dir, topic: 'e', partition: 0, config: { cleanupPolicy: 'compact', segmentBytes: 200 } });
    expect((await readAll(again, 0)).map((r) => r.value!.slice(0, 2))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    expect(fs.readdirSync(dir).filter((f) => /cleaned|journal/.test(f))).toEqual([]);
    await again.close();
  });
});
