// One partition's log: an ordered list of segments in <log.dir>/<topic>-<partition>, the last one active.
//
// Appends assign offsets synchronously (so concurrent produce requests get consecutive offsets) and then write
// through a per-log queue: small writes go straight to the file with a synchronous pwrite (a few microseconds, cheaper
// than a thread-pool round trip), large ones are written on the thread pool so the event loop stays free; queued
// appends are coalesced into one pwritev and share one fsync (group commit). Data becomes readable, and the append
// resolves, only once its bytes are in the file. Reads are asynchronous preads of whole batches.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecordBatch, RecordBatchView, splitRecordBatches } from '@runnel/protocol';
import { BufferPool, IoGate } from './buffer-pool';
import { DEFAULT_LOG_CONFIG, hasDelete, LogConfig, NEVER, validateLogConfig } from './config';
import { LeaderEpochCache } from './epoch-cache';
import {
  CorruptRecordError,
  InvalidOffsetError,
  KafkaStorageError,
  LogClosedError,
  OffsetOutOfRangeError,
  RecordListTooLargeError,
} from './errors';
import {
  CLEANED_SUFFIX,
  CLEANER_SWAP_JOURNAL,
  DELETED_SUFFIX,
  fdatasync,
  fsyncDirAsync,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  readFully,
  segmentFile,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  unlinkQuiet,
  PARTITION_METADATA,
  writeFileAtomicSync,
  writevFully,
  writevFullySync,
} from './files';
import { OffsetIndex, TimeIndex } from './indexes';
import { LogSegment, readSmallFile, scanSegment, SegmentCache } from './segment';

const INT32_MAX = 2147483647;
const HEADER = 61;

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

export interface AppendOptions {
  /** Leader epoch stamped into every batch (leader appends). */
  leaderEpoch?: number;
  /** false for follower/replica appends: keep the batches' offsets and epochs (they must not go backwards). */
  assignOffsets?: boolean;
}

export interface AppendResult {
  firstOffset: number;
  lastOffset: number;
  /** The broker time stamped into the batches for LogAppendTime topics, else -1. */
  logAppendTime: number;
  maxTimestamp: number;
  /** Records appended. */
  recordCount: number;
}

export interface ReadOptions {
  /** Exclusive: only batches whose last offset is below this (the high watermark) are returned. */
  maxOffset?: number;
  /** Return the first batch even if it is larger than maxBytes (Kafka's behaviour for fetch v3+). Default true. */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** Raw, whole record batches exactly as stored, ready for a socket. */
  chunks: Buffer[];
  bytes: number;
  /** Base offset of the first returned batch (may be below the requested offset). */
  firstBatchOffset?: number;
  /** Offset after the last returned batch (where the next sequential read starts). */
  nextOffset: number;
  logStartOffset: number;
  logEndOffset: number;
  /**
   * Optional: hand the underlying buffers back for reuse once the chunks are no longer needed (e.g. after the
   * socket write completed). Never touch the chunks afterwards.
   */
  release(): void;
}

export interface PartitionLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config?: Partial<LogConfig>;
  /** Offset below which data is known to be flushed (from recovery-point-offset-checkpoint); default 0. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number;
  cache?: SegmentCache;
  bufferPool?: BufferPool;
  /** Limits concurrent thread-pool reads so appends and fsyncs always find a free thread. */
  readGate?: IoGate;
  /** Writes up to this many bytes are done synchronously on the event loop; larger ones on the thread pool. */
  syncWriteThreshold?: number;
  now?: () => number;
  logger?: StorageLogger;
  /** Called when logStartOffset moves (so the owner can checkpoint it). */
  onLogStartOffsetChange?: (log: PartitionLog) => void;
}

export interface StorageLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

const silentLogger: StorageLogger = { info: () => undefined, warn: () => undefined };

export const defaultSegmentCache = new SegmentCache();
export const defaultBufferPool = new BufferPool();
export const defaultReadGate = new IoGate(2);

interface PendingAppend {
  seg: LogSegment;
  position: number;
  buf: Buffer;
  meta: number[];
  result: AppendResult;
  resolve(r: AppendResult): void;
  reject(e: unknown): void;
}

export interface LogStats {
  topic: string;
  partition: number;
  dir: string;
  logStartOffset: number;
  logEndOffset: number;
  recoveryPoint: number;
  sizeInBytes: number;
  segments: number;
  unflushedMessages: number;
  latestEpoch: number;
}

export class PartitionLog {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  private cfg: LogConfig;
  private segs: LogSegment[] = [];
  private nextOffsetToAssign = 0;
  private leo = 0;
  private lso = 0;
  private rp = 0;
  private bytes = 0;
  private readonly cache: SegmentCache;
  private readonly pool: BufferPool;
  private readonly gate: IoGate;
  private readonly syncThreshold: number;
  readonly now: () => number;
  private readonly logger: StorageLogger;
  readonly epochs: LeaderEpochCache;
  private queue: PendingAppend[] = [];
  private writing = false;
  private idleWaiters: Array<() => void> = [];
  private appendedMessages = 0;
  private flushedMessages = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private truncating: Promise<unknown> | null = null;
  private closed = false;
  /** Bumped by truncation and cleaner swaps: in-flight reads that straddle one retry. */
  private generation = 0;
  private readHints = new Map<number, { seg: LogSegment; pos: number }>();
  private pendingDeletes = new Set<NodeJS.Timeout>();
  private readonly onLsoChange?: (log: PartitionLog) => void;
  /** First offset not yet cleaned (for compacted logs; the cleaner checkpoint). */
  firstDirtyOffset = 0;
  /** Set while the cleaner works on this log. */
  cleaning = false;

  private constructor(o: PartitionLogOptions) {
    this.dir = o.dir;
    this.topic = o.topic;
    this.partition = o.partition;
    this.cfg = validateLogConfig({ ...DEFAULT_LOG_CONFIG, ...(o.config ?? {}) });
    this.cache = o.cache ?? defaultSegmentCache;
    this.pool = o.bufferPool ?? defaultBufferPool;
    this.gate = o.readGate ?? defaultReadGate;
    this.syncThreshold = o.syncWriteThreshold ?? 64 * 1024;
    this.now = o.now ?? Date.now;
    this.logger = o.logger ?? silentLogger;
    this.onLsoChange = o.onLogStartOffsetChange;
    fs.mkdirSync(this.dir, { recursive: true });
    this.epochs = new LeaderEpochCache(this.dir);
  }

  /** Opens (creating if needed) and recovers a partition directory. */
  static async open(o: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(o);
    await log.load(o.recoveryPoint ?? 0, o.logStartOffset ?? 0);
    return log;
  }

  // ---------------------------------------------------------------- figures

  get config(): Readonly<LogConfig> {
    return this.cfg;
  }
  get logStartOffset(): number {
    return this.lso;
  }
  /** Offset after the last record that is written and readable. */
  get logEndOffset(): number {
    return this.leo;
  }
  get recoveryPoint(): number {
    return this.rp;
  }
  get sizeInBytes(): number {
    return this.bytes;
  }
  get numberOfSegments(): number {
    return this.segs.length;
  }
  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }
  get unflushedMessages(): number {
    return this.appendedMessages - this.flushedMessages;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Snapshot of the segment list (oldest first). Internal users: cleaner, tests. */
  get segments(): readonly LogSegment[] {
    return this.segs;
  }
  get activeSegment(): LogSegment {
    return this.segs[this.segs.length - 1];
  }

  stats(): LogStats {
    return {
      topic: this.topic,
      partition: this.partition,
      dir: this.dir,
      logStartOffset: this.lso,
      logEndOffset: this.leo,
      recoveryPoint: this.rp,
      sizeInBytes: this.bytes,
      segments: this.segs.length,
      unflushedMessages: this.unflushedMessages,
      latestEpoch: this.epochs.latestEpoch,
    };
  }

  /** The topic id from partition.metadata (Kafka's "version: 0\ntopic_id: <id>"), or null if not written yet. */
  get topicId(): string | null {
    try {
      const m = /^topic_id: (\S+)$/m.exec(fs.readFileSync(path.join(this.dir, PARTITION_METADATA), 'utf8'));
      return m ? m[1] : null;
    } catch {
      return null;
    }
  }

  /** Writes partition.metadata atomically (the broker calls this with the topic id from the metadata image). */
  setTopicId(topicId: string): void {
    if (this.topicId === topicId) return;
    writeFileAtomicSync(path.join(this.dir, PARTITION_METADATA), `version: 0\ntopic_id: ${topicId}\n`);
  }

  updateConfig(cfg: Partial<LogConfig>): void {
    this.cfg = validateLogConfig({ ...this.cfg, ...cfg });
  }

  // ---------------------------------------------------------------- load / recovery

  private async load(recoveryPoint: number, checkpointedStart: number): Promise<void> {
    const names = fs.readdirSync(this.dir);
    await this.completeOrAbortSwap(names);
    const bases: number[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX) || name.endsWith(SWAP_SUFFIX) || name.endsWith('.tmp')) {
        unlinkQuiet(path.join(this.dir, name));
        continue;
      }
      const m = /^(\d{20})\.(log|index|timeindex)$/.exec(name);
      if (!m) continue;
      if (m[2] === 'log') bases.push(Number(m[1]));
      else if (!fs.existsSync(path.join(this.dir, `${m[1]}.log`))) unlinkQuiet(path.join(this.dir, name)); // orphan index
    }
    bases.sort((a, b) => a - b);
    const segs: LogSegment[] = [];
    for (let i = 0; i < bases.length; i++) {
      const st = fs.statSync(segmentFile(this.dir, bases[i], LOG_SUFFIX));
      const next = i + 1 < bases.length ? bases[i + 1] : bases[i];
      segs.push(new LogSegment(this.dir, bases[i], st.size, next, st.mtimeMs));
    }
    if (segs.length === 0) {
      const base = Math.max(0, checkpointedStart);
      segs.push(this.createSegmentFiles(base));
    }
    this.segs = segs;

    // Recover the segment holding the recovery point and everything after it.
    let first = segs.length - 1;
    while (first > 0 && segs[first].baseOffset > recoveryPoint) first--;
    for (let i = first; i < this.segs.length; i++) {
      const seg = this.segs[i];
      const isLast = i === this.segs.length - 1;
      const truncated = await this.recoverSegment(seg, i === first ? recoveryPoint : seg.baseOffset, isLast);
      if (truncated && !isLast) {
        // Everything after the first invalid byte goes, including later segments.
        for (const later of this.segs.slice(i + 1)) {
          this.logger.warn(`${this.topic}-${this.partition}: deleting segment ${later.baseOffset} after corruption in ${seg.baseOffset}`);
          for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) unlinkQuiet(segmentFile(this.dir, later.baseOffset, suffix));
        }
        this.segs = this.segs.slice(0, i + 1);
        break;
      }
    }
    // The last segment becomes active and stays open.
    const active = this.segs[this.segs.length - 1];
    active.active = true;
    if (active.fd === null || active.index === null) await this.openSegmentForWrite(active, true);
    this.leo = active.nextOffset;
    this.nextOffsetToAssign = this.leo;
    this.bytes = this.segs.reduce((n, s) => n + s.size, 0);
    this.lso = Math.min(Math.max(checkpointedStart, this.segs[0].baseOffset), this.leo);
    this.epochs.truncateFromEnd(this.leo);
    this.epochs.truncateFromStart(this.lso);
    this.firstDirtyOffset = this.lso;
    // Recovered bytes may still be only in the page cache (the process died, the machine did not): the recovery
    // point stays where it was until the next flush fsyncs them, so a later power cut re-checks them.
    this.rp = Math.min(recoveryPoint, this.leo);
  }

  /** Finishes a cleaner swap interrupted by a crash (or drops it if the new files were not complete). */
  private async completeOrAbortSwap(names: string[]): Promise<void> {
    const journal = path.join(this.dir, CLEANER_SWAP_JOURNAL);
    if (!names.includes(CLEANER_SWAP_JOURNAL)) return;
    const [newBaseS, ...oldS] = fs.readFileSync(journal, 'utf8').trim().split(/\s+/);
    const newBase = Number(newBaseS);
    const olds = oldS.map(Number);
    const swapLog = segmentFile(this.dir, newBase, LOG_SUFFIX + SWAP_SUFFIX);
    const cleanedLog = segmentFile(this.dir, newBase, LOG_SUFFIX + CLEANED_SUFFIX);
    if (fs.existsSync(swapLog)) {
      for (const b of olds) for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) unlinkQuiet(segmentFile(this.dir, b, s));
      for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
        const from = segmentFile(this.dir, newBase, s + SWAP_SUFFIX);
        if (fs.existsSync(from)) fs.renameSync(from, segmentFile(this.dir, newBase, s));
      }
      this.logger.warn(`${this.topic}-${this.partition}: completed an interrupted cleaner swap at ${newBase}`);
    } else if (fs.existsSync(cleanedLog)) {
      // Not yet promoted: the old segments are intact; the .cleaned files are removed below.
    } else {
      // The log was promoted; make sure the replaced segments are gone (the new one has the first base's name).
      for (const b of olds) if (b !== newBase) for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) unlinkQuiet(segmentFile(this.dir, b, s));
    }
    unlinkQuiet(journal);
  }

  /** Scans `seg` from the index entry before `fromOffset`; returns true if it was truncated. */
  private async recoverSegment(seg: LogSegment, fromOffset: number, isLast: boolean): Promise<boolean> {
    const fd = fs.openSync(seg.logFile, 'r+');
    seg.fd = fd;
    const fileSize = fs.fstatSync(fd).size;
    let index: OffsetIndex | null = null;
    let timeIndex: TimeIndex | null = null;
    let from = 0;
    const ib = fromOffset > seg.baseOffset ? await readSmallFile(seg.indexFile) : null;
    if (ib && OffsetIndex.validate(ib, fileSize) === null) {
      index = new OffsetIndex(seg.baseOffset, ib);
      const e = index.lookup(fromOffset - 1);
      from = e.position;
      index.truncateToPosition(from + 1);
      const tb = await readSmallFile(seg.timeIndexFile);
      if (tb && TimeIndex.validate(tb, seg.baseOffset, Number.MAX_SAFE_INTEGER) === null) {
        timeIndex = new TimeIndex(seg.baseOffset, tb);
        timeIndex.truncateToOffset(e.offset + 1);
      }
    }
    if (from === 0) {
      index = new OffsetIndex(seg.baseOffset);
      index.markFileStale();
    }
    if (!timeIndex) {
      // The time index is rebuilt from the scanned part only, so drop it and rescan the segment from the start.
      if (from !== 0) {
        from = 0;
        index = new OffsetIndex(seg.baseOffset);
        index.markFileStale();
      }
      timeIndex = new TimeIndex(seg.baseOffset);
      timeIndex.markFileStale();
    }
    const last = timeIndex.lastEntry;
    const res = await scanSegment({
      fd,
      baseOffset: seg.baseOffset,
      from,
      expectedOffset: seg.baseOffset,
      fileSize,
      verifyCrc: true,
      index: index!,
      timeIndex,
      indexIntervalBytes: this.cfg.indexIntervalBytes,
      maxTimestamp: last?.timestamp ?? -1,
      offsetOfMaxTimestamp: last?.offset ?? -1,
    });
    if (from > 0 && res.validBytes <= from) {
      // The batch the index pointed at is itself bad: redo the whole segment from its first byte.
      fs.closeSync(fd);
      seg.fd = null;
      return this.recoverSegment(seg, seg.baseOffset, isLast);
    }
    seg.index = index;
    seg.timeIndex = timeIndex;
    seg.size = res.validBytes;
    seg.reserved = res.validBytes;
    seg.nextOffset = res.nextOffset;
    seg.maxTimestamp = res.maxTimestamp;
    seg.offsetOfMaxTimestamp = res.offsetOfMaxTimestamp;
    seg.maxTimestampKnown = true;
    seg.bytesSinceLastIndexEntry = res.bytesSinceLastIndexEntry;
    if (from === 0) seg.firstBatchTimestamp = res.firstBatchTimestamp;
    else seg.firstBatchTimestamp = await this.readFirstBatchTimestamp(seg);
    let epochsChanged = false;
    for (const e of res.epochs) {
      if (e.epoch > this.epochs.latestEpoch) {
        this.epochs.assign(e.epoch, e.startOffset, false);
        epochsChanged = true;
      }
    }
    if (epochsChanged) this.epochs.persist();
    let truncated = false;
    if (res.validBytes < fileSize) {
      this.logger.warn(
        `${this.topic}-${this.partition}: truncating segment ${seg.baseOffset} from ${fileSize} to ${res.validBytes} bytes (${res.invalidReason})`,
      );
      fs.ftruncateSync(fd, res.validBytes);
      truncated = true;
    }
    // A truncated segment becomes the last one (later segments are deleted by the caller), so it stays open.
    if (!isLast && !truncated) {
      // No fsync: the recovery point has not moved past this segment, so a crash now just rebuilds it again.
      seg.sealTimeIndex();
      seg.persistIndexes(false);
      seg.closeHandle();
    } else {
      seg.persistIndexes(false);
    }
    return truncated;
  }

  private async readFirstBatchTimestamp(seg: LogSegment): Promise<number> {
    if (seg.fd === null || seg.size < HEADER) return -1;
    const b = Buffer.allocUnsafe(HEADER);
    await readFully(seg.fd, b, 0, HEADER, 0);
    return new RecordBatchView(b, 0).maxTimestamp;
  }

  private createSegmentFiles(base: number): LogSegment {
    const seg = new LogSegment(this.dir, base, 0, base);
    for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) unlinkQuiet(segmentFile(this.dir, base, s));
    seg.fd = fs.openSync(seg.logFile, 'w+');
    seg.index = new OffsetIndex(base);
    seg.timeIndex = new TimeIndex(base);
    seg.maxTimestampKnown = true;
    seg.newFile = true;
    return seg;
  }

  /** Opens an existing segment's file and indexes for appending (after load or truncation). */
  private async openSegmentForWrite(seg: LogSegment, fromLoad: boolean): Promise<void> {
    if (seg.fd === null) seg.fd = fs.openSync(seg.logFile, 'r+');
    if (!seg.index) await this.loadIndexes(seg, true);
    if (!seg.timeIndex) await this.loadTimeIndex(seg);
    void fromLoad;
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends one or more v2 batches (already validated by the caller). Leader appends (default) get offsets from
   * the log and the given leader epoch, patched into the caller's buffer in place; follower appends
   * (`assignOffsets: false`) keep theirs. Resolves once the bytes are in the file (and fsynced if the flush policy
   * says so).
   */
  append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    if (this.truncating) return this.truncating.then(() => this.append(records, options), () => this.append(records, options));
    try {
      if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition} is closed`);
      if (this.failure) throw new KafkaStorageError(`log ${this.topic}-${this.partition} is offline after an I/O error: ${this.failure.message}`, this.failure);
      let views: RecordBatchView[];
      try {
        views = splitRecordBatches(records);
      } catch (e) {
        throw new CorruptRecordError((e as Error).message);
      }
      if (views.length === 0) throw new CorruptRecordError('append of zero record batches');
      const size = records.length;
      if (size > this.cfg.segmentBytes) throw new RecordListTooLargeError(`append of ${size} bytes exceeds segment.bytes ${this.cfg.segmentBytes}`);
      const assign = options.assignOffsets !== false;
      const epoch = options.leaderEpoch ?? -1;
      const appendTime = assign && this.cfg.messageTimestampType === 'LogAppendTime' ? this.now() : -1;
      let next = this.nextOffsetToAssign;
      let firstOffset = -1;
      let maxTs = -1;
      let count = 0;
      // Per batch: [position in buffer, base offset, last offset, max timestamp, size, epoch], read once here so
      // completing the write touches no batch headers again.
      const meta: number[] = [];
      for (const v of views) {
        let base: number;
        let batchEpoch: number;
        if (assign) {
          base = next;
          v.setBaseOffset(base);
          if (epoch >= 0) v.setPartitionLeaderEpoch(epoch);
          if (appendTime >= 0) v.setMaxTimestamp(1, appendTime);
          batchEpoch = epoch >= 0 ? epoch : v.partitionLeaderEpoch;
        } else {
          base = v.baseOffset;
          if (base < next) throw new InvalidOffsetError(`batch base offset ${base} is below the log end offset ${next}`);
          batchEpoch = v.partitionLeaderEpoch;
        }
        if (firstOffset < 0) firstOffset = base;
        const ts = v.maxTimestamp;
        if (ts > maxTs) maxTs = ts;
        count += v.recordCount;
        const last = base + v.lastOffsetDelta;
        meta.push(v.offset, base, last, ts, v.totalSize, batchEpoch);
        next = last + 1;
      }
      const lastOffset = next - 1;
      let seg = this.activeSegment;
      if (this.shouldRoll(seg, size, lastOffset, maxTs)) seg = this.roll(firstOffset);
      const position = seg.reserved;
      seg.reserved += size;
      if (position === 0 && seg.firstBatchTimestamp < 0) seg.firstBatchTimestamp = meta[3];
      this.nextOffsetToAssign = next;
      const result: AppendResult = { firstOffset, lastOffset, logAppendTime: appendTime, maxTimestamp: maxTs, recordCount: count };
      // Fast path: nothing queued, small, no fsync due: write now, on this tick.
      if (!this.writing && this.queue.length === 0 && size <= this.syncThreshold && this.unflushedMessages + count < this.cfg.flushMessages) {
        try {
          writevFullySync(seg.fd!, [records], position);
        } catch (e) {
          this.fail(e);
          throw new KafkaStorageError(`write to ${seg.logFile} failed: ${(e as Error).message}`, e);
        }
        this.completeWrite(seg, position, records, meta, lastOffset, count);
        return Promise.resolve(result);
      }
      seg.refs++;
      return new Promise<AppendResult>((resolve, reject) => {
        this.queue.push({ seg, position, buf: records, meta, result, resolve, reject });
        if (!this.writing) void this.drain();
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private shouldRoll(seg: LogSegment, size: number, lastOffset: number, maxTs: number): boolean {
    if (seg.reserved === 0) return false;
    if (seg.reserved > this.cfg.segmentBytes - size) return true;
    if (lastOffset - seg.baseOffset > INT32_MAX) return true;
    if (seg.index!.isFull(this.cfg.segmentIndexBytes) || seg.timeIndex!.isFull(this.cfg.segmentIndexBytes)) return true;
    const waited = seg.firstBatchTimestamp >= 0 && maxTs >= 0 ? maxTs - seg.firstBatchTimestamp : this.now() - seg.createdMs;
    return waited > this.cfg.segmentMs;
  }

  /** Starts a new active segment at `base` (the next offset). */
  roll(base = this.nextOffsetToAssign): LogSegment {
    const old = this.activeSegment;
    if (old.reserved === 0 && old.baseOffset === base) return old;
    const seg = this.createSegmentFiles(base);
    seg.active = true;
    old.active = false;
    this.segs = [...this.segs, seg];
    if (old.reserved === old.size) this.sealSegment(old);
    // Kafka flushes a rolled segment in the background so the recovery point moves past it.
    void this.flush().catch((e) => this.logger.warn(`background flush failed: ${(e as Error).message}`));
    return seg;
  }

  private sealSegment(seg: LogSegment): void {
    seg.sealTimeIndex();
    try {
      seg.persistIndexes(false);
    } catch (e) {
      this.logger.warn(`could not write indexes of ${seg.logFile}: ${(e as Error).message}`);
    }
    seg.index?.compact();
    seg.timeIndex?.compact();
    if (!seg.deleted) this.cache.touch(seg);
  }

  private completeWrite(seg: LogSegment, position: number, buf: Buffer, meta: number[], lastOffset: number, count: number): void {
    const interval = this.cfg.indexIntervalBytes;
    for (let i = 0; i < meta.length; i += 6) {
      seg.onBatchAppended(position + meta[i], meta[i + 2], meta[i + 3], meta[i + 4], interval);
      const e = meta[i + 5];
      if (e > this.epochs.latestEpoch) this.epochs.assign(e, meta[i + 1]);
    }
    seg.size = position + buf.length;
    seg.dirty = true;
    this.bytes += buf.length;
    this.leo = lastOffset + 1;
    this.appendedMessages += count;
    if (this.cfg.flushMs < NEVER && this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        void this.flush().catch((e) => this.logger.warn(`flush.ms flush failed: ${(e as Error).message}`));
      }, this.cfg.flushMs);
      this.flushTimer.unref();
    }
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const first = this.queue[0];
        let n = 1;
        let total = first.buf.length;
        while (
          n < this.queue.length &&
          this.queue[n].seg === first.seg &&
          this.queue[n].position === first.position + total &&
          total < 16 * 1024 * 1024
        ) {
          total += this.queue[n].buf.length;
          n++;
        }
        const group = this.queue.splice(0, n);
        const bufs = group.map((g) => g.buf);
        try {
          if (total <= this.syncThreshold) writevFullySync(first.seg.fd!, bufs, first.position);
          else await writevFully(first.seg.fd!, bufs, first.position);
        } catch (e) {
          this.fail(e);
          const err = new KafkaStorageError(`write to ${first.seg.logFile} failed: ${(e as Error).message}`, e);
          for (const g of [...group, ...this.queue.splice(0)]) {
            g.seg.refs--;
            g.reject(err);
          }
          break;
        }
        for (const g of group) {
          this.completeWrite(g.seg, g.position, g.buf, g.meta, g.result.lastOffset, g.result.recordCount);
          g.seg.refs--;
          if (!g.seg.active && g.seg.reserved === g.seg.size && g.seg === group[group.length - 1].seg) this.sealSegment(g.seg);
        }
        if (this.unflushedMessages >= this.cfg.flushMessages) {
          try {
            await this.flush();
          } catch (e) {
            this.fail(e);
            const err = new KafkaStorageError(`fsync failed: ${(e as Error).message}`, e);
            for (const g of group) g.reject(err);
            continue;
          }
        }
        for (const g of group) g.resolve(g.result);
      }
    } finally {
      this.writing = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when no write is queued or in flight. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private fail(e: unknown): void {
    if (!this.failure) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.logger.warn(`${this.topic}-${this.partition}: log offline after I/O error: ${this.failure.message}`);
    }
    // Bytes beyond the committed size are garbage now; recovery would cut them, and so do we.
    const seg = this.activeSegment;
    try {
      if (seg.fd !== null) fs.ftruncateSync(seg.fd, seg.size);
    } catch {
      // the disk is failing; recovery at the next open handles it
    }
  }

  // ---------------------------------------------------------------- flush

  /**
   * fsyncs every segment with unflushed data (and the indexes of sealed ones, and the directory after new files),
   * then moves the recovery point to the log end offset at the time of the call.
   */
  flush(): Promise<void> {
    const run = async () => {
      const upTo = this.leo;
      const messages = this.appendedMessages;
      const dirty = this.segs.filter((s) => s.dirty || s.newFile);
      let newFiles = false;
      for (const s of dirty) {
        const wasDirty = s.dirty;
        s.dirty = false;
        if (s.newFile) newFiles = true;
        s.newFile = false;
        if (s.deleted) continue;
        if (wasDirty) {
          s.refs++;
          try {
            if (s.fd !== null) await fdatasync(s.fd);
            else await syncFile(s.logFile);
          } finally {
            s.refs--;
            this.cache.released(s);
          }
        }
        if (!s.active && s.reserved === s.size) s.persistIndexes(true);
      }
      this.activeSegment.persistIndexes(false);
      if (newFiles) await fsyncDirAsync(this.dir);
      if (upTo > this.rp) this.rp = upTo;
      if (messages > this.flushedMessages) this.flushedMessages = messages;
    };
    const p = this.flushChain.then(run, run);
    this.flushChain = p.catch(() => undefined);
    return p;
  }

  // ---------------------------------------------------------------- read

  /**
   * Reads whole batches starting with the one that contains `offset`, up to `maxBytes` (at least one batch when
   * minOneBatch), possibly spanning segments. Throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  async read(offset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    for (let attempt = 0; ; attempt++) {
      while (this.truncating) await this.truncating.catch(() => undefined);
      const gen = this.generation;
      const r = await this.readOnce(offset, maxBytes, options);
      if (gen === this.generation || attempt >= 3) return r;
      r.release();
    }
  }

  private async readOnce(offset: number, maxBytes: number, options: ReadOptions): Promise<ReadResult> {
    const leo = this.leo;
    const lso = this.lso;
    if (offset < lso || offset > leo) {
      throw new OffsetOutOfRangeError(`offset ${offset} is out of range [${lso}, ${leo}] for ${this.topic}-${this.partition}`, lso, leo);
    }
    const maxOffset = Math.min(options.maxOffset ?? Number.MAX_SAFE_INTEGER, leo);
    const mustOne = options.minOneBatch !== false;
    const held: Buffer[] = [];
    const result: ReadResult = {
      chunks: [],
      bytes: 0,
      nextOffset: offset,
      logStartOffset: lso,
      logEndOffset: leo,
      release: () => {
        for (const b of held.splice(0)) this.pool.put(b);
      },
    };
    if (offset >= maxOffset) return result;
    const segs = this.segs;
    let i = segmentIndexFor(segs, offset);
    let target = offset;
    while (i < segs.length) {
      const seg = segs[i];
      const budget = maxBytes - result.bytes;
      if (budget <= 0 && !(mustOne && result.bytes === 0)) break;
      const r = await this.readSegment(seg, target, Math.max(0, budget), mustOne && result.bytes === 0, maxOffset, held);
      if (r.chunks.length > 0) {
        for (const c of r.chunks) {
          result.chunks.push(c);
          result.bytes += c.length;
        }
        if (result.firstBatchOffset === undefined) result.firstBatchOffset = r.firstBatchOffset;
        result.nextOffset = r.nextOffset;
      }
      if (!r.reachedEnd) break;
      i++;
      if (i < segs.length) target = segs[i].baseOffset;
    }
    return result;
  }

  /** Opens a sealed segment's file and offset index (once; concurrent callers share the work). */
  private async openForRead(seg: LogSegment): Promise<void> {
    if (seg.fd !== null && seg.index !== null) {
      this.cache.touch(seg);
      return;
    }
    if (!seg.opening) {
      seg.opening = (async () => {
        try {
          if (seg.fd === null) seg.fd = await openFd(seg.logFile, 'r');
          if (!seg.index) await this.loadIndexes(seg, false);
        } finally {
          seg.opening = null;
        }
      })();
    }
    await seg.opening;
    this.cache.touch(seg);
  }

  /** Loads .index (validated; rebuilt from the log if missing or corrupt). */
  private async loadIndexes(seg: LogSegment, withTime: boolean): Promise<void> {
    const ib = await readSmallFile(seg.indexFile);
    // An empty index for a segment longer than one index interval cannot be right (it was lost or truncated).
    const reason =
      ib === null ? 'missing' : ib.length === 0 && seg.size > this.cfg.indexIntervalBytes ? 'empty' : OffsetIndex.validate(ib, seg.size);
    if (ib && reason === null) {
      seg.index = new OffsetIndex(seg.baseOffset, ib);
      seg.index.compact();
    } else {
      this.logger.warn(`${this.topic}-${this.partition}: rebuilding index of segment ${seg.baseOffset} (${reason})`);
      await this.rebuildIndexes(seg);
      return;
    }
    if (withTime) await this.loadTimeIndex(seg);
  }

  private async rebuildIndexes(seg: LogSegment): Promise<void> {
    const index = new OffsetIndex(seg.baseOffset);
    const timeIndex = new TimeIndex(seg.baseOffset);
    index.markFileStale();
    timeIndex.markFileStale();
    const res = await scanSegment({
      fd: seg.fd!,
      baseOffset: seg.baseOffset,
      from: 0,
      expectedOffset: seg.baseOffset,
      fileSize: seg.size,
      verifyCrc: false,
      index,
      timeIndex,
      indexIntervalBytes: this.cfg.indexIntervalBytes,
    });
    seg.maxTimestamp = res.maxTimestamp;
    seg.offsetOfMaxTimestamp = res.offsetOfMaxTimestamp;
    seg.maxTimestampKnown = true;
    seg.bytesSinceLastIndexEntry = res.bytesSinceLastIndexEntry;
    if (seg.active) seg.nextOffset = res.nextOffset;
    seg.index = index;
    seg.timeIndex = timeIndex;
    if (!seg.active) {
      seg.sealTimeIndex();
      index.compact();
      timeIndex.compact();
    }
    try {
      seg.persistIndexes(!seg.active);
    } catch (e) {
      this.logger.warn(`could not persist rebuilt index of ${seg.logFile}: ${(e as Error).message}`);
    }
  }

  private async loadTimeIndex(seg: LogSegment): Promise<void> {
    if (seg.timeIndex) return;
    const before = seg.memoryBytes;
    const tb = await readSmallFile(seg.timeIndexFile);
    const upper = seg.active ? seg.nextOffset : Number.MAX_SAFE_INTEGER;
    // Sealed segments always end with their max-timestamp entry, so an empty file for a non-empty one was lost.
    if (tb && !(tb.length === 0 && seg.size > 0 && !seg.active) && TimeIndex.validate(tb, seg.baseOffset, upper) === null) {
      seg.timeIndex = new TimeIndex(seg.baseOffset, tb);
      seg.timeIndex.compact();
      const last = seg.timeIndex.lastEntry;
      if (!seg.maxTimestampKnown) {
        seg.maxTimestamp = last?.timestamp ?? -1;
        seg.offsetOfMaxTimestamp = last?.offset ?? -1;
        seg.maxTimestampKnown = true;
      }
      this.cache.resize(seg, before);
    } else {
      this.logger.warn(`${this.topic}-${this.partition}: rebuilding time index of segment ${seg.baseOffset}`);
      await this.rebuildIndexes(seg);
      this.cache.resize(seg, before);
    }
  }

  /** Largest record timestamp in a segment (-1 if none), reading only the last .timeindex entry when needed. */
  async segmentMaxTimestamp(seg: LogSegment): Promise<number> {
    if (seg.maxTimestampKnown) return seg.maxTimestamp;
    const fd = await fs.promises.open(seg.timeIndexFile, 'r').catch(() => null);
    if (fd) {
      try {
        const st = await fd.stat();
        if (st.size >= 12 && st.size % 12 === 0) {
          const b = Buffer.allocUnsafe(12);
          await fd.read(b, 0, 12, st.size - 12);
          seg.maxTimestamp = Number(b.readBigInt64BE(0));
          seg.offsetOfMaxTimestamp = seg.baseOffset + b.readInt32BE(8);
          seg.maxTimestampKnown = true;
          return seg.maxTimestamp;
        }
      } finally {
        await fd.close();
      }
    }
    await this.withSegment(seg, () => this.loadTimeIndex(seg));
    return seg.maxTimestamp;
  }

  /** Runs `fn` with the segment open and pinned. */
  async withSegment<T>(seg: LogSegment, fn: () => Promise<T>): Promise<T> {
    seg.refs++;
    try {
      if (!seg.active) await this.openForRead(seg);
      return await fn();
    } finally {
      seg.refs--;
      this.cache.released(seg);
    }
  }

  private async readSegment(
    seg: LogSegment,
    target: number,
    budget: number,
    mustOne: boolean,
    maxOffset: number,
    held: Buffer[],
  ): Promise<{ chunks: Buffer[]; firstBatchOffset?: number; nextOffset: number; reachedEnd: boolean }> {
    return this.withSegment(seg, async () => {
      const endPos = seg.size;
      const hinted = this.readHints.get(target);
      const useHint = hinted !== undefined && hinted.seg === seg;
      let p = useHint ? hinted.pos : seg.index!.lookup(target).position;
      // Without a hint the wanted batch may start up to one index interval after the indexed position.
      const slack = useHint ? 0 : this.cfg.indexIntervalBytes + HEADER;
      const chunks: Buffer[] = [];
      let win: Buffer | null = null;
      let winPos = 0;
      let winLen = 0;
      let started = false;
      let startPos = 0; // file position of the first returned batch; returned bytes are [startPos, p)
      let chunkStart = 0; // where the returned part of the current window begins
      let firstBatchOffset: number | undefined;
      let nextOffset = target;
      let reachedEnd = false;
      // Hands the current window over: its returned part becomes a chunk, otherwise the buffer goes back.
      const retire = () => {
        if (!win) return;
        if (started && chunkStart < p) {
          chunks.push(win.subarray(chunkStart - winPos, p - winPos));
          held.push(win);
        } else this.pool.put(win);
        win = null;
      };
      const load = async (want: number): Promise<number> => {
        retire();
        const nb = this.pool.get(want);
        const at = p;
        const n = await this.gate.run(() => readFully(seg.fd!, nb, 0, want, at));
        win = nb;
        winPos = p;
        winLen = n;
        chunkStart = p;
        return n;
      };
      for (;;) {
        if (p >= endPos) {
          reachedEnd = true;
          break;
        }
        const included = started ? p - startPos : 0;
        if (started && included + HEADER > budget) break; // no room for even an empty batch
        if (win === null || p + 27 > winPos + winLen) {
          const want = Math.min(endPos - p, Math.max(HEADER, started ? budget - included : budget + slack));
          const n = await load(want);
          if (n < Math.min(27, endPos - p)) break; // file shorter than expected (truncated underneath)
        }
        const w = win as unknown as Buffer;
        const view = new RecordBatchView(w, p - winPos);
        const total = view.batchLength + 12;
        const last = view.lastOffset;
        if (total < HEADER || p + total > endPos) break; // cannot happen on a recovered log; never serve it
        if (!started) {
          if (last < target) {
            p += total;
            continue;
          }
          if (last >= maxOffset || (total > budget && !mustOne)) break;
          started = true;
          startPos = p;
          chunkStart = p;
          firstBatchOffset = view.baseOffset;
        } else if (last >= maxOffset || included + total > budget) break;
        if (p + total > winPos + winLen) {
          // The batch runs past the window: keep what we have and read on from this batch.
          const n = await load(Math.min(endPos - p, Math.max(total, budget - included)));
          if (n < total) break;
        }
        p += total;
        nextOffset = last + 1;
      }
      retire();
      if (!started) return { chunks, nextOffset: target, reachedEnd };
      this.rememberHint(nextOffset, seg, p);
      return { chunks, firstBatchOffset, nextOffset, reachedEnd };
    });
  }

  private rememberHint(nextOffset: number, seg: LogSegment, pos: number): void {
    if (this.readHints.size >= 32) this.readHints.delete(this.readHints.keys().next().value as number);
    this.readHints.set(nextOffset, { seg, pos });
  }

  /** Iterates batches of a segment from `fromPos`, reading in chunks; views are valid until the next step. */
  async *batches(seg: LogSegment, fromPos = 0, endPos = seg.size, chunkSize = 1024 * 1024): AsyncGenerator<{ view: RecordBatchView; position: number }> {
    let buf = Buffer.allocUnsafe(chunkSize);
    let p = fromPos;
    while (p < endPos) {
      const want = Math.min(buf.length, endPos - p);
      const n = await readFully(seg.fd!, buf, 0, want, p);
      if (n < 12) return;
      let at = 0;
      while (at + 12 <= n) {
        const total = buf.readInt32BE(at + 8) + 12;
        if (total < HEADER || p + at + total > endPos) return;
        if (at + total > n) break;
        yield { view: new RecordBatchView(buf, at), position: p + at };
        at += total;
      }
      if (at === 0) {
        // One batch bigger than the buffer (or the file is shorter than expected).
        const total = buf.readInt32BE(8) + 12;
        if (total <= buf.length) return;
        buf = Buffer.allocUnsafe(total);
        continue;
      }
      p += at;
    }
  }

  // ---------------------------------------------------------------- timestamps

  /**
   * The first record with timestamp >= ts (ListOffsets). Special values: -1 latest, -2 earliest, -3 the record
   * with the largest timestamp. null when every record is older.
   */
  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    if (ts === LATEST_TIMESTAMP) return { offset: this.leo, timestamp: -1 };
    if (ts === EARLIEST_TIMESTAMP) return { offset: this.lso, timestamp: -1 };
    const segs = this.segs;
    if (ts === MAX_TIMESTAMP) {
      let best: { offset: number; timestamp: number } | null = null;
      for (const s of segs) {
        const m = await this.segmentMaxTimestamp(s);
        if (m >= 0 && (!best || m > best.timestamp) && s.offsetOfMaxTimestamp >= this.lso) best = { offset: s.offsetOfMaxTimestamp, timestamp: m };
      }
      return best;
    }
    for (const seg of segs) {
      if (seg.size === 0) continue;
      const m = await this.segmentMaxTimestamp(seg);
      if (m < ts) continue;
      const found = await this.withSegment(seg, async () => {
        if (!seg.timeIndex) await this.loadTimeIndex(seg);
        const startOffset = Math.max(this.lso, seg.timeIndex!.lookup(ts));
        const pos = seg.index!.lookup(startOffset).position;
        for await (const { view } of this.batches(seg, pos, seg.size)) {
          if (view.lastOffset < this.lso || view.maxTimestamp < ts) continue;
          const batch = decodeRecordBatch(view, { verifyCrc: false });
          for (const r of batch.records) if (r.timestamp >= ts && r.offset >= this.lso) return { offset: r.offset, timestamp: r.timestamp };
        }
        return null;
      });
      if (found) return found;
    }
    return null;
  }

  // ---------------------------------------------------------------- epochs

  /** OffsetForLeaderEpoch. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.leo);
  }

  // ---------------------------------------------------------------- truncation and deletion

  /** Removes everything at and after `offset` (a follower whose tail diverged). The new end is <= offset. */
  truncateTo(offset: number): Promise<void> {
    return this.exclusive(() => this.doTruncateTo(offset));
  }

  /**
   * Runs a structural change (truncation) with appends and reads held back: they wait for it and then proceed
   * against the new state.
   */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.truncating) await this.truncating.catch(() => undefined);
    const p = (async () => {
      await this.idle();
      return fn();
    })();
    this.truncating = p;
    try {
      return await p;
    } finally {
      if (this.truncating === p) this.truncating = null;
      this.generation++;
    }
  }

  private async doTruncateTo(offset: number): Promise<void> {
    if (offset >= this.leo) {
      // No data to drop, but an epoch this node started as leader without appending anything can sit at the end;
      // left there, the follower keeps sending it as its last fetched epoch and the leader keeps saying "diverged".
      this.epochs.truncateFromEnd(this.leo);
      return;
    }
    if (offset <= this.lso) {
      await this.doTruncateFully(offset);
      return;
    }
    this.generation++;
    this.readHints.clear();
    const i = segmentIndexFor(this.segs, offset);
    const seg = this.segs[i];
    for (const later of this.segs.slice(i + 1)) this.deleteSegmentFiles(later, false);
    this.segs = this.segs.slice(0, i + 1);
    if (!seg.active) {
      this.cache.remove(seg);
      seg.active = true;
      seg.refs++;
      try {
        await this.openForRead(seg);
        this.cache.remove(seg);
        if (seg.fd !== null) fs.closeSync(seg.fd);
        seg.fd = fs.openSync(seg.logFile, 'r+');
        await this.loadTimeIndex(seg);
      } finally {
        seg.refs--;
      }
    }
    // Position of the first batch with lastOffset >= offset.
    let cut = seg.size;
    let newEnd = offset;
    for await (const { view, position } of this.batches(seg, seg.index!.lookup(offset).position, seg.size)) {
      if (view.lastOffset >= offset) {
        cut = position;
        newEnd = view.baseOffset;
        break;
      }
    }
    fs.ftruncateSync(seg.fd!, cut);
    seg.size = cut;
    this.bytes = this.segs.reduce((n, x) => n + x.size, 0);
    seg.reserved = cut;
    seg.nextOffset = cut === 0 ? seg.baseOffset : newEnd;
    seg.index!.truncateToPosition(cut);
    seg.timeIndex!.truncateToOffset(seg.nextOffset);
    const lastTime = seg.timeIndex!.lastEntry;
    seg.maxTimestamp = lastTime?.timestamp ?? -1;
    seg.offsetOfMaxTimestamp = lastTime?.offset ?? -1;
    seg.bytesSinceLastIndexEntry = cut - seg.index!.lastEntry.position;
    if (cut === 0) seg.firstBatchTimestamp = -1;
    seg.dirty = true;
    seg.persistIndexes(false);
    this.leo = seg.nextOffset;
    this.nextOffsetToAssign = this.leo;
    this.rp = Math.min(this.rp, this.leo);
    this.firstDirtyOffset = Math.min(this.firstDirtyOffset, this.leo);
    this.epochs.truncateFromEnd(this.leo);
  }

  /** Deletes all data; the log restarts empty at `offset` (log start = end = offset). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.exclusive(() => this.doTruncateFully(offset));
  }

  private async doTruncateFully(offset: number): Promise<void> {
    this.generation++;
    this.readHints.clear();
    for (const s of this.segs) this.deleteSegmentFiles(s, false);
    const seg = this.createSegmentFiles(offset);
    seg.active = true;
    this.segs = [seg];
    this.bytes = 0;
    this.leo = offset;
    this.nextOffsetToAssign = offset;
    this.rp = Math.min(this.rp, offset);
    this.lso = offset;
    this.firstDirtyOffset = offset;
    this.epochs.clear();
    this.onLsoChange?.(this);
  }

  /** DeleteRecords: moves the log start offset forward; whole segments below it are deleted. Returns the new start. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    if (offset > this.leo || offset < 0) {
      throw new OffsetOutOfRangeError(`cannot delete records before ${offset}: log end offset is ${this.leo}`, this.lso, this.leo);
    }
    if (offset <= this.lso) return this.lso;
    this.lso = offset;
    this.epochs.truncateFromStart(offset);
    if (this.firstDirtyOffset < offset) this.firstDirtyOffset = offset;
    this.deleteSegmentsBelowStart();
    this.onLsoChange?.(this);
    return this.lso;
  }

  private deleteSegmentsBelowStart(): number {
    let n = 0;
    while (this.segs.length > 1 && this.segs[1].baseOffset <= this.lso && this.segs[0].reserved === this.segs[0].size) {
      this.deleteSegment(this.segs[0]);
      n++;
    }
    return n;
  }

  /**
   * Retention (cleanup.policy includes delete): drops whole segments older than retention.ms (by their newest
   * record) and the oldest segments while the log exceeds retention.bytes. Returns the number of segments deleted.
   */
  async applyRetention(now = this.now()): Promise<number> {
    if (this.closed || this.failure) return 0;
    let deleted = this.deleteSegmentsBelowStart();
    if (!hasDelete(this.cfg)) return deleted;
    if (this.cfg.retentionMs >= 0) {
      for (;;) {
        const seg = this.segs[0];
        if (seg.size === 0) {
          // An empty sealed segment (e.g. everything in it was compacted away) must not stall retention.
          if (seg.active || this.segs.length < 2 || seg.reserved !== 0) break;
          this.deleteSegment(seg);
          deleted++;
          continue;
        }
        const maxTs = await this.segmentMaxTimestamp(seg);
        const ts = maxTs >= 0 ? maxTs : seg.createdMs;
        if (now - ts <= this.cfg.retentionMs) break;
        if (seg !== this.segs[0]) continue;
        if (seg.active) {
          if (this.writing || this.queue.length > 0) break;
          this.roll(this.nextOffsetToAssign);
        }
        if (seg.reserved !== seg.size) break;
        this.deleteSegment(seg);
        deleted++;
      }
    }
    if (this.cfg.retentionBytes >= 0) {
      let excess = this.bytes - this.cfg.retentionBytes;
      while (this.segs.length > 1) {
        const seg = this.segs[0];
        if (seg.active || excess - seg.size < 0 || seg.reserved !== seg.size) break;
        excess -= seg.size;
        this.deleteSegment(seg);
        deleted++;
      }
    }
    return deleted;
  }

  /** Removes the oldest segment from the log and schedules its files for deletion. */
  private deleteSegment(seg: LogSegment): void {
    if (seg !== this.segs[0]) throw new Error('only the oldest segment can be deleted');
    this.segs = this.segs.slice(1);
    this.bytes -= seg.size;
    this.readHints.clear();
    this.deleteSegmentFiles(seg, true);
    const newStart = Math.max(this.lso, this.segs[0].baseOffset);
    if (newStart !== this.lso) {
      this.lso = newStart;
      this.epochs.truncateFromStart(newStart);
      if (this.firstDirtyOffset < newStart) this.firstDirtyOffset = newStart;
      this.onLsoChange?.(this);
    }
  }

  /** Renames a segment's files to .deleted and unlinks them after file.delete.delay.ms (open readers keep working). */
  deleteSegmentFiles(seg: LogSegment, delayed: boolean): void {
    seg.deleted = true;
    seg.active = false;
    this.cache.remove(seg);
    const files: string[] = [];
    for (const s of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const f = segmentFile(this.dir, seg.baseOffset, s);
      if (!delayed) {
        unlinkQuiet(f);
        continue;
      }
      try {
        fs.renameSync(f, f + DELETED_SUFFIX);
        files.push(f + DELETED_SUFFIX);
      } catch {
        // never written (index not persisted yet)
      }
    }
    if (seg.refs === 0) seg.closeHandle();
    else {
      // the last reader closes it (SegmentCache.released)
    }
    if (files.length === 0) return;
    const unlinkAll = () => {
      for (const f of files) unlinkQuiet(f);
    };
    if (this.cfg.fileDeleteDelayMs <= 0 || this.closed) unlinkAll();
    else {
      const t = setTimeout(() => {
        this.pendingDeletes.delete(t);
        unlinkAll();
      }, this.cfg.fileDeleteDelayMs);
      t.unref();
      this.pendingDeletes.add(t);
    }
  }

  /** Replaces segments [from, to] by `replacement` in the list (cleaner swap); bumps the read generation. */
  replaceSegments(old: LogSegment[], replacement: LogSegment): void {
    const first = this.segs.indexOf(old[0]);
    if (first < 0) throw new Error('segments to replace are no longer in the log');
    for (let k = 0; k < old.length; k++) if (this.segs[first + k] !== old[k]) throw new Error('segments changed during cleaning');
    const next = [...this.segs];
    next.splice(first, old.length, replacement);
    this.segs = next;
    this.generation++;
    this.readHints.clear();
    const delta = replacement.size - old.reduce((n, s) => n + s.size, 0);
    this.bytes += delta;
  }

  /** Internal: the files of `seg` were replaced on disk; drop the segment without touching files. */
  retireSegment(seg: LogSegment): void {
    seg.deleted = true;
    this.cache.remove(seg);
    if (seg.refs === 0) seg.closeHandle();
  }

  get cacheRef(): SegmentCache {
    return this.cache;
  }

  get isBusyWriting(): boolean {
    return this.writing || this.queue.length > 0;
  }

  // ---------------------------------------------------------------- close / delete

  /** Flushes, writes the indexes and closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.idle();
    if (!this.failure) {
      const active = this.activeSegment;
      await this.flush();
      active.sealTimeIndex();
      active.persistIndexes(true);
    }
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const t of this.pendingDeletes) clearTimeout(t);
    this.pendingDeletes.clear();
    for (const s of this.segs) {
      this.cache.remove(s);
      s.active = false;
      s.closeHandle();
    }
    // Files scheduled for deletion go now.
    for (const name of fs.readdirSync(this.dir)) if (name.endsWith(DELETED_SUFFIX)) unlinkQuiet(path.join(this.dir, name));
  }

  /** Closes without flushing (for tests that simulate a crash, and for deleted logs). */
  closeNow(): void {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const t of this.pendingDeletes) clearTimeout(t);
    for (const s of this.segs) {
      this.cache.remove(s);
      s.active = false;
      s.closeHandle();
    }
  }
}

/** A raw fd (not a FileHandle, which would close itself when garbage collected). */
function openFd(file: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** fsync through a temporary handle (a segment's own handle may have been closed by the LRU). */
async function syncFile(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r+');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Index of the last segment whose base offset <= offset (0 if none). */
export function segmentIndexFor(segs: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid].baseOffset <= offset) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}
