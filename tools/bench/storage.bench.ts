// Storage bench: sequential appends of 1 MiB and 16 KiB batches and sequential reads through PartitionLog, each
// next to raw `fs` writes/reads of the same sizes measured in the same run, plus the recovery time of a 1 GiB
// segment against the time to read it once. Figures only, never pass/fail. Uses a temp dir, removed at the end.
//   STORAGE_BENCH_MB         bytes per round for the append/read tests (default 256)
//   STORAGE_BENCH_ROUNDS     rounds per figure, median reported (default 3)
//   STORAGE_BENCH_RECOVERY_MB size of the recovery segment (default 1024)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch } from '@runnel/protocol';
import { PartitionLog } from '@runnel/storage';

const MB = 1e6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** A batch of ~`size` bytes of 1 KiB-ish records (half random bytes, like OMB payloads). */
function makeBatch(size: number): Buffer {
  const recordSize = 1000;
  const n = Math.max(1, Math.floor(size / (recordSize + 20)));
  const records = [];
  for (let i = 0; i < n; i++) {
    const v = Buffer.alloc(recordSize, 0x61);
    for (let j = 0; j < recordSize / 2; j++) v[j] = (Math.random() * 256) | 0;
    records.push({ key: null, value: v, timestamp: Date.now() });
  }
  return encodeRecordBatch({ records });
}

function writeAsync(fd: number, buf: Buffer, pos: number): Promise<void> {
  return new Promise((resolve, reject) => fs.write(fd, buf, 0, buf.length, pos, (e) => (e ? reject(e) : resolve())));
}

function readAsync(fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, len, pos, (e, n) => (e ? reject(e) : resolve(n))));
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

async function rawAppend(dir: string, buf: Buffer, total: number, mode: 'sync' | 'async'): Promise<number> {
  const file = path.join(dir, `raw-${mode}.dat`);
  const fd = fs.openSync(file, 'w+');
  const n = Math.floor(total / buf.length);
  const t0 = now();
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (mode === 'sync') fs.writeSync(fd, buf, 0, buf.length, pos);
    else await writeAsync(fd, buf, pos);
    pos += buf.length;
  }
  const ms = now() - t0;
  fs.closeSync(fd);
  return (pos / MB) / (ms / 1000);
}

async function rawRead(file: string, size: number): Promise<number> {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafeSlow(size);
  const len = fs.fstatSync(fd).size;
  const t0 = now();
  let pos = 0;
  while (pos < len) {
    const n = await readAsync(fd, buf, size, pos);
    if (n === 0) break;
    pos += n;
  }
  const ms = now() - t0;
  fs.closeSync(fd);
  return (pos / MB) / (ms / 1000);
}

async function logAppend(dir: string, buf: Buffer, total: number): Promise<{ mbps: number; log: PartitionLog }> {
  const log = await PartitionLog.open({ dir: path.join(dir, 'bench-0'), topic: 'bench', partition: 0, config: { segmentBytes: 1024 * 1024 * 1024 } });
  const n = Math.floor(total / buf.length);
  const t0 = now();
  for (let i = 0; i < n; i++) await log.append(buf, { leaderEpoch: 0 });
  const ms = now() - t0;
  return { mbps: ((n * buf.length) / MB) / (ms / 1000), log };
}

async function logRead(log: PartitionLog, maxBytes: number): Promise<number> {
  const t0 = now();
  let offset = log.logStartOffset;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, maxBytes);
    bytes += r.bytes;
    offset = r.nextOffset;
    r.release();
  }
  const ms = now() - t0;
  return (bytes / MB) / (ms / 1000);
}

function clear(dir: string): void {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}

export async function runStorageBench(): Promise<void> {
  const totalMB = Number(process.env.STORAGE_BENCH_MB ?? 256);
  const roundsN = Number(process.env.STORAGE_BENCH_ROUNDS ?? 3);
  const recoveryMB = Number(process.env.STORAGE_BENCH_RECOVERY_MB ?? 1024);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-storage-bench-'));
  console.log(`storage bench: ${totalMB} MB per round, ${roundsN} rounds (median), temp dir ${dir}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  try {
    for (const size of [1024 * 1024, 16 * 1024]) {
      const buf = makeBatch(size);
      const total = totalMB * 1024 * 1024;
      const raws: number[] = [];
      const rawsSync: number[] = [];
      const logs: number[] = [];
      const rawReads: number[] = [];
      const logReads: number[] = [];
      for (let r = 0; r < roundsN; r++) {
        // Interleave raw and log rounds so drift on a shared box hits both alike.
        clear(dir);
        raws.push(await rawAppend(dir, buf, total, 'async'));
        rawReads.push(await rawRead(path.join(dir, 'raw-async.dat'), buf.length));
        clear(dir);
        rawsSync.push(await rawAppend(dir, buf, total, 'sync'));
        clear(dir);
        const { mbps, log } = await logAppend(dir, buf, total);
        logs.push(mbps);
        logReads.push(await logRead(log, buf.length));
        log.closeNow();
        clear(dir);
      }
      const label = size >= 1024 * 1024 ? '1 MiB' : '16 KiB';
      const rawA = median(raws);
      const rawS = median(rawsSync);
      const best = Math.max(rawA, rawS);
      const app = median(logs);
      console.log(`  ${label} batches (${buf.length} bytes):`);
      console.log(`    raw fs.write (async, thread pool)      ${fmt(rawA).padStart(7)} MB/s   rounds ${raws.map((x) => fmt(x)).join(' ')}`);
      console.log(`    raw fs.writeSync                        ${fmt(rawS).padStart(7)} MB/s   rounds ${rawsSync.map((x) => fmt(x)).join(' ')}`);
      console.log(`    PartitionLog.append (awaited, 1 at a time) ${fmt(app).padStart(4)} MB/s   rounds ${logs.map((x) => fmt(x)).join(' ')}`);
      console.log(`      ratio vs best raw ${fmt(app / best, 2)}, vs async raw ${fmt(app / rawA, 2)}, vs sync raw ${fmt(app / rawS, 2)}`);
      const rr = median(rawReads);
      const lr = median(logReads);
      console.log(`    raw fs.read ${buf.length} B at a time           ${fmt(rr).padStart(7)} MB/s   rounds ${rawReads.map((x) => fmt(x)).join(' ')}`);
      console.log(`    PartitionLog.read (maxBytes ${buf.length})     ${fmt(lr).padStart(7)} MB/s   rounds ${logReads.map((x) => fmt(x)).join(' ')}`);
      console.log(`      read ratio ${fmt(lr / rr, 2)}`);
    }

    // Recovery of one big segment (no checkpoint: every batch is length- and CRC-checked) vs reading it once.
    clear(dir);
    const buf = makeBatch(1024 * 1024);
    const logDir = path.join(dir, 'recover-0');
    const log = await PartitionLog.open({ dir: logDir, topic: 'recover', partition: 0, config: { segmentBytes: 2147483647 } });
    const n = Math.floor((recoveryMB * 1024 * 1024) / buf.length);
    for (let i = 0; i < n; i++) await log.append(buf);
    await log.flush();
    log.closeNow();
    const segFile = path.join(logDir, '00000000000000000000.log');
    const size = fs.statSync(segFile).size;
    const readMs: number[] = [];
    const recMs: number[] = [];
    for (let r = 0; r < roundsN; r++) {
      let t0 = now();
      const fd = fs.openSync(segFile, 'r');
      const rb = Buffer.allocUnsafeSlow(8 * 1024 * 1024);
      for (let pos = 0; pos < size; ) {
        const k = await readAsync(fd, rb, rb.length, pos);
        if (k === 0) break;
        pos += k;
      }
      fs.closeSync(fd);
      readMs.push(now() - t0);
      for (const f of fs.readdirSync(logDir)) if (/\.(index|timeindex)$/.test(f)) fs.unlinkSync(path.join(logDir, f));
      t0 = now();
      const rec = await PartitionLog.open({ dir: logDir, topic: 'recover', partition: 0, config: { segmentBytes: 2147483647 }, recoveryPoint: 0 });
      recMs.push(now() - t0);
      if (rec.logEndOffset !== log.logEndOffset) throw new Error(`recovery lost data: ${rec.logEndOffset} != ${log.logEndOffset}`);
      rec.closeNow();
    }
    const rd = median(readMs);
    const rc = median(recMs);
    console.log(`  recovery of a ${fmt(size / 1024 / 1024)} MiB segment (CRC of every batch, indexes rebuilt), page cache warm:`);
    console.log(`    read once ${fmt(rd)} ms (${fmt(size / MB / (rd / 1000))} MB/s); recovery ${fmt(rc)} ms (${fmt(size / MB / (rc / 1000))} MB/s); ratio ${fmt(rc / rd, 2)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runStorageBench().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
