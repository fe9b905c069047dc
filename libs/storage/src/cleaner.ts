// Log compaction (cleanup.policy=compact / compact,delete): keep only the latest record per key, keep offsets,
// drop tombstones once they are older than delete.retention.ms. Only sealed segments are cleaned, never the active
// one; the work is asynchronous I/O plus short CPU slices (it yields between batches), and the final swap of the
// cleaned segments into the log is one synchronous step, so appends and reads never wait for the cleaner.
//
// Swap protocol (crash-safe): write <base>.log/.index/.timeindex.cleaned and fsync them; write the journal
// cleaner-swap-journal ("<newBase> <oldBase>..."); rename .cleaned -> .swap; rename the old segments' files to .deleted;
// rename .swap -> final names; fsync the directory; remove the journal. PartitionLog.open finishes or drops an
// interrupted swap from the journal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecordBatch, encodeRecordBatch, RecordBatchView } from '@runnel/protocol';
import { hasCompact } from './config';
import {
  CLEANED_SUFFIX,
  CLEANER_SWAP_JOURNAL,
  DELETED_SUFFIX,
  fsyncDir,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  segmentFile,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  unlinkQuiet,
  writeFileAtomicSync,
  writevFully,
} from './files';
import { OffsetIndex, TimeIndex } from './indexes';
import { PartitionLog } from './partition-log';
import { LogSegment } from './segment';

export interface CleanOptions {
  now?: number;
  /** Upper bound on distinct keys held in memory per pass (the rest waits for the next pass). */
  maxKeys?: number;
  /** Ignore min.cleanable.dirty.ratio (manual runs and tests). */
  force?: boolean;
}

export interface CleanResult {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** Offset the next pass starts from. */
  firstDirtyOffset: number;
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** Dirty bytes / cleanable bytes, the figure min.cleanable.dirty.ratio is compared with. */
export async function cleanableRatio(log: PartitionLog, now = Date.now()): Promise<{ ratio: number; dirtyBytes: number; mustClean: boolean }> {
  const range = await cleanableRange(log, now);
  if (!range) return { ratio: 0, dirtyBytes: 0, mustClean: false };
  let dirty = 0;
  let total = 0;
  let mustClean = false;
  for (const s of range.segments) {
    total += s.size;
    const next = nextBase(log, s);
    if (next > log.firstDirtyOffset) {
      dirty += s.size;
      const ts = await log.segmentMaxTimestamp(s);
      if (ts >= 0 && now - ts > log.config.maxCompactionLagMs) mustClean = true;
    }
  }
  return { ratio: total === 0 ? 0 : dirty / total, dirtyBytes: dirty, mustClean };
}

function nextBase(log: PartitionLog, seg: LogSegment): number {
  const segs = log.segments;
  const i = segs.indexOf(seg);
  return i + 1 < segs.length ? segs[i + 1].baseOffset : log.logEndOffset;
}

/** Sealed segments old enough for min.compaction.lag.ms, and the offset where they end. */
async function cleanableRange(log: PartitionLog, now: number): Promise<{ segments: LogSegment[]; endOffset: number } | null> {
  const segs = log.segments;
  const out: LogSegment[] = [];
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i];
    if (s.active || s.reserved !== s.size) break;
    if (log.config.minCompactionLagMs > 0) {
      const ts = await log.segmentMaxTimestamp(s);
      if (ts >= 0 && now - ts < log.config.minCompactionLagMs) break;
    }
    out.push(s);
  }
  if (out.length === 0) return null;
  return { segments: out, endOffset: segs[segs.indexOf(out[out.length - 1]) + 1].baseOffset };
}

/**
 * One cleaning pass over a compacted log. Returns null when there was nothing to do (not compacted, nothing dirty,
 * below the dirty ratio unless forced, or another pass is running).
 */
export async function cleanLog(log: PartitionLog, options: CleanOptions = {}): Promise<CleanResult | null> {
  if (!hasCompact(log.config) || log.cleaning || log.isClosed) return null;
  log.cleaning = true;
  try {
    const now = options.now ?? log.now();
    const range = await cleanableRange(log, now);
    if (!range || log.firstDirtyOffset >= range.endOffset) return null;
    if (!options.force) {
      const r = await cleanableRatio(log, now);
      if (r.ratio < log.config.minCleanableDirtyRatio && !r.mustClean) return null;
    }
    const maxKeys = options.maxKeys ?? 4_000_000;
    const segmentsBefore = log.segments.length;
    const bytesBefore = log.sizeInBytes;

    // 1. key -> latest offset over the dirty part.
    const latest = new Map<string, number>();
    let endOffset = range.endOffset;
    let used = range.segments;
    for (let i = 0; i < range.segments.length; i++) {
      const seg = range.segments[i];
      if (nextBase(log, seg) <= log.firstDirtyOffset) continue;
      await log.withSegment(seg, async () => {
        let n = 0;
        for await (const { view } of log.batches(seg)) {
          if (view.lastOffset < log.firstDirtyOffset || view.isControl) continue;
          const batch = decodeRecordBatch(view, { verifyCrc: false });
          for (const r of batch.records) if (r.key !== null) latest.set(r.key.toString('latin1'), r.offset);
          if (++n % 64 === 0) await yieldToLoop();
        }
      });
      if (latest.size > maxKeys && i + 1 < range.segments.length) {
        used = range.segments.slice(0, i + 1);
        endOffset = range.segments[i + 1].baseOffset;
        break;
      }
    }

    // 2. Rewrite groups of consecutive segments (each group becomes one segment no larger than segment.bytes).
    const groups: LogSegment[][] = [];
    let cur: LogSegment[] = [];
    let curBytes = 0;
    for (const s of used) {
      if (cur.length > 0 && curBytes + s.size > log.config.segmentBytes) {
        groups.push(cur);
        cur = [];
        curBytes = 0;
      }
      cur.push(s);
      curBytes += s.size;
    }
    if (cur.length) groups.push(cur);

    let removed = 0;
    const horizon = now - log.config.deleteRetentionMs;
    for (const group of groups) {
      const r = await cleanGroup(log, group, latest, horizon);
      if (r < 0) return null; // the log changed underneath (truncation, deletion); try again later
      removed += r;
    }
    log.firstDirtyOffset = Math.max(log.firstDirtyOffset, endOffset);
    return {
      segmentsBefore,
      segmentsAfter: log.segments.length,
      bytesBefore,
      bytesAfter: log.sizeInBytes,
      recordsRemoved: removed,
      firstDirtyOffset: log.firstDirtyOffset,
    };
  } finally {
    log.cleaning = false;
  }
}

/** Writes the cleaned version of `group` and swaps it in; returns records removed, or -1 if aborted. */
async function cleanGroup(log: PartitionLog, group: LogSegment[], latest: Map<string, number>, horizon: number): Promise<number> {
  const dir = log.dir;
  const base = group[0].baseOffset;
  const cleanedLog = segmentFile(dir, base, LOG_SUFFIX + CLEANED_SUFFIX);
  const cleanedIndex = segmentFile(dir, base, INDEX_SUFFIX + CLEANED_SUFFIX);
  const cleanedTime = segmentFile(dir, base, TIME_INDEX_SUFFIX + CLEANED_SUFFIX);
  const out = new LogSegment(dir, base, 0, base);
  out.index = new OffsetIndex(base);
  out.timeIndex = new TimeIndex(base);
  const fd = fs.openSync(cleanedLog, 'w');
  let removed = 0;
  let position = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flushPending = async () => {
    if (pendingBytes === 0) return;
    await writevFully(fd, pending, position - pendingBytes);
    pending = [];
    pendingBytes = 0;
  };
  const emit = (batch: Buffer) => {
    const v = new RecordBatchView(batch, 0);
    out.onBatchAppended(position, v.lastOffset, v.maxTimestamp, batch.length, log.config.indexIntervalBytes);
    pending.push(batch);
    pendingBytes += batch.length;
    position += batch.length;
  };
  try {
    for (const seg of group) {
      const ok = await log.withSegment(seg, async () => {
        if (seg.deleted) return false;
        let n = 0;
        for await (const { view } of log.batches(seg)) {
          if (view.isControl) {
            emit(Buffer.from(view.bytes));
            continue;
          }
          const batch = decodeRecordBatch(view, { verifyCrc: false });
          const kept = batch.records.filter((r) => {
            if (r.key !== null) {
              const last = latest.get(r.key.toString('latin1'));
              if (last !== undefined && last > r.offset) return false;
            }
            if (r.value === null && r.timestamp < horizon) return false;
            return true;
          });
          removed += batch.records.length - kept.length;
          if (kept.length === batch.records.length) emit(Buffer.from(view.bytes));
          else if (kept.length > 0) {
            emit(
              encodeRecordBatch({
                baseOffset: batch.baseOffset,
                partitionLeaderEpoch: batch.partitionLeaderEpoch,
                compression: batch.compression,
                producerId: batch.producerId,
                producerEpoch: batch.producerEpoch,
                baseSequence: batch.baseSequence,
                isTransactional: batch.isTransactional,
                timestampType: batch.timestampType,
                maxTimestamp: batch.timestampType === 1 ? batch.maxTimestamp : undefined,
                // Keep the batch's offset range: the next batch's offsets (and producer sequences) stay consistent.
                lastOffsetDelta: batch.lastOffsetDelta,
                records: kept.map((r) => ({
                  key: r.key,
                  value: r.value,
                  headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
                  timestamp: r.timestamp,
                  offsetDelta: r.offset - batch.baseOffset,
                })),
              }),
            );
          }
          if (pendingBytes >= 1024 * 1024) await flushPending();
          if (++n % 32 === 0) await yieldToLoop();
        }
        return true;
      });
      if (!ok) throw new AbortClean();
    }
    await flushPending();
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    for (const f of [cleanedLog, cleanedIndex, cleanedTime]) unlinkQuiet(f);
    if (e instanceof AbortClean) return -1;
    throw e;
  }
  fs.closeSync(fd);
  out.sealTimeIndex();
  out.index.persist(cleanedIndex, true);
  out.timeIndex.persist(cleanedTime, true);

  // Swap. Everything below is synchronous, so no append, read or truncation interleaves with it.
  const segs = log.segments;
  const first = segs.indexOf(group[0]);
  if (first < 0 || group.some((s, k) => segs[first + k] !== s || s.deleted) || log.isClosed) {
    for (const f of [cleanedLog, cleanedIndex, cleanedTime]) unlinkQuiet(f);
    return -1;
  }
  const journal = path.join(dir, CLEANER_SWAP_JOURNAL);
  writeFileAtomicSync(journal, [base, ...group.map((s) => s.baseOffset)].join(' ') + '\n');
  for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
    fs.renameSync(segmentFile(dir, base, s + CLEANED_SUFFIX), segmentFile(dir, base, s + SWAP_SUFFIX));
  }
  fsyncDir(dir);
  const deletedFiles: string[] = [];
  for (const old of group) {
    for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const f = segmentFile(dir, old.baseOffset, s);
      try {
        fs.renameSync(f, f + DELETED_SUFFIX);
        deletedFiles.push(f + DELETED_SUFFIX);
      } catch {
        // index never persisted
      }
    }
  }
  for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
    fs.renameSync(segmentFile(dir, base, s + SWAP_SUFFIX), segmentFile(dir, base, s));
  }
  fsyncDir(dir);
  unlinkQuiet(journal);

  const replacement = new LogSegment(dir, base, position, nextBaseAfter(log, group), Date.now());
  replacement.maxTimestamp = out.maxTimestamp;
  replacement.offsetOfMaxTimestamp = out.offsetOfMaxTimestamp;
  replacement.maxTimestampKnown = true;
  replacement.firstBatchTimestamp = out.firstBatchTimestamp;
  log.replaceSegments(group, replacement);
  for (const old of group) log.retireSegment(old);
  const unlinkAll = () => deletedFiles.forEach(unlinkQuiet);
  if (log.config.fileDeleteDelayMs <= 0) unlinkAll();
  else setTimeout(unlinkAll, log.config.fileDeleteDelayMs).unref();
  return removed;
}

function nextBaseAfter(log: PartitionLog, group: LogSegment[]): number {
  const segs = log.segments;
  const i = segs.indexOf(group[group.length - 1]);
  return i + 1 < segs.length ? segs[i + 1].baseOffset : log.logEndOffset;
}

class AbortClean extends Error {}
