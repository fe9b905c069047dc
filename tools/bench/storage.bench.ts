// Storage bench: sequential appends of 1 MiB and 16 KiB batches and sequential reads through PartitionLog, each
// next to raw `fs` writes/reads of the same sizes measured in the same run, plus the recovery time of a 1 GiB
// segment against the time to read it once. Figures only, never pass/fail. Uses a temp dir, removed at the end.
//   STORAGE_BENCH_MB         bytes per round for the append/read tests (default 256)
//   STORAGE_BENCH_ROUNDS     rounds per figure, median reported (default 3)
//   STORAGE_BENCH_RECOVERY_MB size of the recovery segment (default 1024)
//   STORAGE_BENCH_SYNC_THRESHOLD PartitionLog syncWriteThreshold (default: the library's, 64 KiB)
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

interface RoundResult {
  rawAsync: number;
  rawSync: number;
  log: number;
  rawRead: number;
  logRead: number;
}

/**
 * One round: the same number of appends to a raw file (async fs.write), a raw file (fs.writeSync) and a
 * PartitionLog, interleaved op by op so drift on a shared machine hits all three alike; then sequential reads of
 * the raw file and of the log, again interleaved. Returns MB/s of each.
 */
async function round(dir: string, buf: Buffer, total: number): Promise<RoundResult> {
  const n = Math.floor(total / buf.length);
  const fdA = fs.openSync(path.join(dir, 'raw-async.dat'), 'w+');
  const fdS = fs.openSync(path.join(dir, 'raw-sync.dat'), 'w+');
  const threshold = process.env.STORAGE_BENCH_SYNC_THRESHOLD ? Number(process.env.STORAGE_BENCH_SYNC_THRESHOLD) : undefined;
  const log = await PartitionLog.open({
    dir: path.join(dir, 'bench-0'),
    topic: 'bench',
    partition: 0,
    config: { segmentBytes: 1024 * 1024 * 1024 },
    syncWriteThreshold: threshold,
  });
  let tA = 0;
  let tS = 0;
  let tL = 0;
  let pos = 0;
  // Phases of ~16 MB each, in a rotating order: drift on a shared machine hits all three alike, and no
  // method sits right behind another one's I/O on every single operation.
  const perPhase = Math.max(1, Math.floor((16 * 1024 * 1024) / buf.length));
  let posA = 0;
  let posS = 0;
  let done = 0;
  const phases: Array<(k: number) => Promise<void>> = [
    async (k) => {
      const t = now();
      for (let i = 0; i < k; i++, posA += buf.length) await writeAsync(fdA, buf, posA);
      tA += now() - t;
    },
    async (k) => {
      const t = now();
      for (let i = 0; i < k; i++, posS += buf.length) fs.writeSync(fdS, buf, 0, buf.length, posS);
      tS += now() - t;
    },
    async (k) => {
      const t = now();
      for (let i = 0; i < k; i++) await log.append(buf, { leaderEpoch: 0 });
      tL += now() - t;
    },
  ];
  for (let c = 0; done < n; c++) {
    const k = Math.min(perPhase, n - done);
    for (let j = 0; j < 3; j++) await phases[(c + j) % 3](k);
    done += k;
  }
  pos = posA;
  fs.closeSync(fdS);
  // Reads: raw pread of the batch size into one reused buffer vs PartitionLog.read(maxBytes = batch size).
  const rb = Buffer.allocUnsafeSlow(buf.length);
  let rawPos = 0;
  let offset = log.logStartOffset;
  let rawBytes = 0;
  let logBytes = 0;
  let tRR = 0;
  let tLR = 0;
  const rawStep = async () => {
    if (rawPos >= pos) return;
    const t = now();
    const k = await readAsync(fdA, rb, buf.length, rawPos);
    tRR += now() - t;
    rawPos += k;
    rawBytes += k;
  };
  const logStep = async () => {
    if (offset >= log.logEndOffset) return;
    const t = now();
    const r = await log.read(offset, buf.length);
    tLR += now() - t;
    logBytes += r.bytes;
    offset = r.nextOffset;
    r.release();
  };
  for (let c = 0; rawPos < pos || offset < log.logEndOffset; c++) {
    const order = c % 2 === 0 ? [rawStep, logStep] : [logStep, rawStep];
    for (const step of order) for (let i = 0; i < perPhase; i++) await step();
  }
  fs.closeSync(fdA);
  log.closeNow();
  const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);
  return { rawAsync: mbps(pos, tA), rawSync: mbps(pos, tS), log: mbps(pos, tL), rawRead: mbps(rawBytes, tRR), logRead: mbps(logBytes, tLR) };
}

function clear(dir: string): void {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}

export async function runStorageBench(): Promise<void> {
  const totalMB = Number(process.env.STORAGE_BENCH_MB ?? 256);
  const roundsN = Number(process.env.STORAGE_BENCH_ROUNDS ?? 3);
  const recoveryMB = Number(process.env.STORAGE_BENCH_RECOVERY_MB ?? 1024);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-storage-bench-'));
  console.log(
    `storage bench: ${totalMB} MB per round, ${roundsN} rounds (median), syncWriteThreshold ${process.env.STORAGE_BENCH_SYNC_THRESHOLD ?? 'default (65536)'}, ` +
      `temp dir ${dir}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  try {
    for (const size of [1024 * 1024, 16 * 1024]) {
      const buf = makeBatch(size);
      const total = totalMB * 1024 * 1024;
      const rounds: RoundResult[] = [];
      for (let r = 0; r < roundsN; r++) {
        clear(dir);
        rounds.push(await round(dir, buf, total));
      }
      clear(dir);
      const raws = rounds.map((x) => x.rawAsync);
      const rawsSync = rounds.map((x) => x.rawSync);
      const logs = rounds.map((x) => x.log);
      const rawReads = rounds.map((x) => x.rawRead);
      const logReads = rounds.map((x) => x.logRead);
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
