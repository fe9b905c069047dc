import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog } from './partition-log';
import { batch, readAll, rmrf, tempDir } from './test/helpers';

// Recovery: every batch after the recovery point is checked (length, magic, offsets, CRC); the log is cut at the
// first invalid byte; missing or corrupt indexes are rebuilt; a corrupt batch is never served.
jest.setTimeout(30_000);

describe('crash recovery', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('runnel-recovery-');
  });
  afterAll(() => rmrf(root));

  const cfg = { segmentBytes: 2000, indexIntervalBytes: 200 };
  let n = 0;
  const freshDir = () => path.join(root, `p${n++}`, 't-0');

  /** A closed log with `count` single-record batches; returns its dir and the byte size of each batch. */
  async function build(count: number, config = cfg): Promise<{ dir: string; sizes: number[] }> {
    const dir = freshDir();
    const log = await PartitionLog.open({ dir, topic: 't', partition: 0, config });
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const b = batch([{ key: `k${i}`, value: `value-${i}`, timestamp: 1000 + i }]);
      sizes.push(b.length);
      await log.append(b, { leaderEpoch: 1 + Math.floor(i / 10) });
    }
    await log.close();
    return { dir, sizes };
  }

  function copyDir(from: string): string {
    const to = freshDir();
    fs.mkdirSync(to, { recursive: true });
    for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
    return to;
  }

  function lastLogFile(dir: string): string {
    const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    return path.join(dir, logs[logs.length - 1]);
  }

  it('a torn write cut at every byte of the last batch loses exactly that batch', async () => {
    const { dir, sizes } = await build(30);
    const file = lastLogFile(dir);
    const full = fs.readFileSync(file);
    const last = sizes[sizes.length - 1];
    const prefix = full.length - last;
    for (let cut = 0; cut <= last; cut++) {
      // Both a full scan (no recovery point) and a resumed scan from the index (recovery point 25) must agree.
      for (const recoveryPoint of cut % 5 === 0 ? [0, 25] : [0]) {
        const d = copyDir(dir);
        fs.writeFileSync(path.join(d, path.basename(file)), full.subarray(0, prefix + cut));
        const log = await PartitionLog.open({ dir: d, topic: 't', partition: 0, config: cfg, recoveryPoint });
        const expected = cut === last ? 30 : 29;
        expect(log.logEndOffset).toBe(expected);
        expect(fs.statSync(path.join(d, path.basename(file))).size).toBe(cut === last ? full.length : prefix);
        const recs = await readAll(log, 0);
        expect(recs.map((r) => r.value)).toEqual(Array.from({ length: expected }, (_, i) => `value-${i}`));
        // The log accepts appends right after the cut.
        expect((await log.append(batch([{ value: 'after' }]), { leaderEpoch: 3 })).firstOffset).toBe(expected);
        log.closeNow();
        rmrf(path.dirname(d));
      }
    }
  });

  it('a flipped byte inside a batch truncates the log at that batch (never served), later segments included', async () => {
    const { dir, sizes } = await build(60);
    const segFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    expect(segFiles.length).toBeGreaterThan(2);
    const firstSeg = path.join(dir, segFiles[0]);
    const data = fs.readFileSync(firstSeg);
    // Batch #3 of the first segment: flip one byte in several places (header, CRC, records, last byte).
    const start = sizes[0] + sizes[1] + sizes[2];
    const total = sizes[3];
    for (const rel of [8, 16, 17, 21, 30, 61, total - 1]) {
      const d = copyDir(dir);
      const buf = Buffer.from(data);
      buf[start + rel] ^= 0x5a;
      fs.writeFileSync(path.join(d, segFiles[0]), buf);
      const log = await PartitionLog.open({ dir: d, topic: 't', partition: 0, config: cfg, recoveryPoint: 0 });
      expect(log.logEndOffset).toBe(3);
      expect(log.numberOfSegments).toBe(1);
      expect((await readAll(log, 0)).map((r) => r.offset)).toEqual([0, 1, 2]);
      expect(log.latestEpoch).toBe(1);
      expect((await log.append(batch([{ value: 'after' }]), { leaderEpoch: 2 })).firstOffset).toBe(3);
      expect((await readAll(log, 0)).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
      await log.close();
      rmrf(path.dirname(d));
    }
  });

  it('corruption below the recovery point is not scanned (only what recovery needs is read)', async () => {
    const { dir } = await build(60);
    const segFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    const d = copyDir(dir);
    // Damage the first segment in a way a scan would notice: recovery from a later point must not look at it.
    const f = path.join(d, segFiles[0]);
    const buf = fs.readFileSync(f);
    buf[100] ^= 0xff;
    fs.writeFileSync(f, buf);
    const log = await PartitionLog.open({ dir: d, topic: 't', partition: 0, config: cfg, recoveryPoint: 60 });
    expect(log.logEndOffset).toBe(60);
    expect(log.numberOfSegments).toBe(segFiles.length);
    await log.close();
  });

  it('rebuilds missing and corrupt index files', async () => {
    const { dir } = await build(60);
    const segFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    const expected = Array.from({ length: 60 }, (_, i) => `value-${i}`);
    const damage: Array<[string, (f: string) => void]> = [
      ['missing', (f) => fs.unlinkSync(f)],
      ['empty', (f) => fs.writeFileSync(f, Buffer.alloc(0))],
      ['odd size', (f) => fs.appendFileSync(f, Buffer.from([1, 2, 3]))],
      ['garbage', (f) => fs.writeFileSync(f, Buffer.alloc(64, 0x7f))],
      ['zeros', (f) => fs.writeFileSync(f, Buffer.alloc(80))],
    ];
    for (const [what, fn] of damage) {
      for (const suffix of ['.index', '.timeindex']) {
        const d = copyDir(dir);
        // damage every segment's index of this kind (sealed ones below the recovery point, and the active one)
        for (const s of segFiles) {
          const f = path.join(d, s.replace('.log', suffix));
          if (fs.existsSync(f) || what === 'missing') {
            if (!fs.existsSync(f)) continue;
            fn(f);
          } else fn(f);
        }
        const log = await PartitionLog.open({ dir: d, topic: 't', partition: 0, config: cfg, recoveryPoint: 60 });
        expect(log.logEndOffset).toBe(60);
        const recs = await readAll(log, 0, 100);
        expect(recs.map((r) => r.value)).toEqual(expected);
        // reads starting in the middle use the (rebuilt) index
        for (const o of [7, 23, 41, 59]) expect((await readAll(log, o)).map((r) => r.offset)[0]).toBe(o);
        expect(await log.offsetForTimestamp(1030)).toEqual({ offset: 30, timestamp: 1030 });
        await log.close();
        // The rebuilt files are valid Kafka-format indexes now.
        for (const s of segFiles) {
          const idx = fs.readFileSync(path.join(d, s.replace('.log', '.index')));
          expect(idx.length % 8).toBe(0);
          const tix = fs.readFileSync(path.join(d, s.replace('.log', '.timeindex')));
          expect(tix.length % 12).toBe(0);
          expect(tix.length).toBeGreaterThan(0);
        }
        rmrf(path.dirname(d));
      }
    }
  });

  it('drops garbage appended after the last batch (the inode grew but the data never landed)', async () => {
    const { dir } = await build(20);
    const d = copyDir(dir);
    fs.appendFileSync(lastLogFile(d), Buffer.alloc(4096));
    const log = await PartitionLog.open({ dir: d, topic: 't', partition: 0, config: cfg, recoveryPoint: 20 });
    expect(log.logEndOffset).toBe(20);
    expect((await readAll(log, 0)).length).toBe(20);
    await log.close();
  });
});
