// One segment: <base>.log with its .index and .timeindex. A sealed segment keeps only a few numbers in memory until
// a read opens it (file handle + indexes, through the shared SegmentCache LRU); the active segment stays open.
import * as fs from 'node:fs';
import { crc32c, RECORD_BATCH_HEADER_SIZE, RecordBatchView } from '@runnel/protocol';
import { INDEX_SUFFIX, LOG_SUFFIX, readFully, segmentFile, TIME_INDEX_SUFFIX } from './files';
import { OffsetIndex, TimeIndex } from './indexes';

const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const INT32_MAX = 2147483647;

export class LogSegment {
  /** Committed bytes: everything below is written and visible to reads. */
  size: number;
  /** Bytes handed out to queued writes (size + pending). */
  reserved: number;
  /** Offset after the last batch, when known (always for the active segment). */
  nextOffset: number;
  /** Largest batch maxTimestamp and the last offset of that batch; -1 while unknown or empty. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  maxTimestampKnown = false;
  /** maxTimestamp of the first batch (segment.ms rolls on it, as Kafka does); -1 if none. */
  firstBatchTimestamp = -1;
  readonly createdMs: number;
  bytesSinceLastIndexEntry = 0;

  fd: number | null = null;
  index: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  opening: Promise<void> | null = null;
  timeOpening: Promise<void> | null = null;
  /** In-flight users (reads, queued writes, cleaner); the handle is closed only at zero. */
  refs = 0;
  active = false;
  deleted = false;
  /** Data written since the last fsync. */
  dirty = false;
  /** The files were created since the directory was last fsynced. */
  newFile = false;
  /** LRU links (owned by SegmentCache). */
  lruPrev: LogSegment | null = null;
  lruNext: LogSegment | null = null;
  inLru = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    size: number,
    nextOffset: number,
    createdMs = Date.now(),
  ) {
    this.size = size;
    this.reserved = size;
    this.nextOffset = nextOffset;
    this.createdMs = createdMs;
  }

  get logFile(): string {
    return segmentFile(this.dir, this.baseOffset, LOG_SUFFIX);
  }
  get indexFile(): string {
    return segmentFile(this.dir, this.baseOffset, INDEX_SUFFIX);
  }
  get timeIndexFile(): string {
    return segmentFile(this.dir, this.baseOffset, TIME_INDEX_SUFFIX);
  }

  get isOpen(): boolean {
    return this.fd !== null && this.index !== null;
  }

  /** Memory held while open (for the cache's budget). */
  get memoryBytes(): number {
    return (this.index?.memoryBytes ?? 0) + (this.timeIndex?.memoryBytes ?? 0);
  }

  /** Records one appended batch in the indexes (Kafka's rule: an entry once index.interval.bytes have passed). */
  onBatchAppended(position: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.firstBatchTimestamp < 0 && position === 0) this.firstBatchTimestamp = maxTimestamp;
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      this.index!.append(lastOffset, position);
      if (this.maxTimestamp >= 0) this.timeIndex?.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    this.nextOffset = lastOffset + 1;
  }

  /** On roll/close: the last time index entry carries the segment's max timestamp (Kafka does the same). */
  sealTimeIndex(): void {
    if (this.maxTimestamp >= 0) this.timeIndex?.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  persistIndexes(sync: boolean): void {
    if (this.deleted) return;
    this.index?.persist(this.indexFile, sync);
    this.timeIndex?.persist(this.timeIndexFile, sync);
  }

  closeHandle(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
    if (!this.active) {
      this.index = null;
      this.timeIndex = null;
    }
  }
}

export interface ScanResult {
  /** Bytes of valid batches from position 0 (the segment is truncated here if shorter than the file). */
  validBytes: number;
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  firstBatchTimestamp: number;
  bytesSinceLastIndexEntry: number;
  /** First reason the scan stopped early, if any. */
  invalidReason?: string;
  /** (epoch, baseOffset) for each batch whose epoch is higher than the one before. */
  epochs: Array<{ epoch: number; startOffset: number }>;
}

export interface ScanOptions {
  fd: number;
  baseOffset: number;
  from: number;
  /** Offset expected at `from` (batches may start later, never earlier). */
  expectedOffset: number;
  fileSize: number;
  verifyCrc: boolean;
  index: OffsetIndex | null;
  timeIndex: TimeIndex | null;
  indexIntervalBytes: number;
  /** Initial state when resuming mid-segment. */
  maxTimestamp?: number;
  offsetOfMaxTimestamp?: number;
  chunkSize?: number;
}

/**
 * Walks batches from `from` to the end of the file, checking each one's length, magic, offsets and (optionally) CRC,
 * and rebuilds index entries as it goes. Reads are double-buffered so CRC work overlaps the next read.
 */
export async function scanSegment(o: ScanOptions): Promise<ScanResult> {
  // Never allocate more than the part of the file to scan (most segments after a crash are small tails).
  const chunk = Math.max(64 * 1024, Math.min(o.chunkSize ?? 1024 * 1024, o.fileSize - o.from));
  const bufs = [Buffer.allocUnsafeSlow(chunk), Buffer.allocUnsafeSlow(chunk)];
  let which = 0;
  const res: ScanResult = {
    validBytes: o.from,
    nextOffset: o.expectedOffset,
    maxTimestamp: o.maxTimestamp ?? -1,
    offsetOfMaxTimestamp: o.offsetOfMaxTimestamp ?? -1,
    firstBatchTimestamp: -1,
    bytesSinceLastIndexEntry: 0,
    epochs: [],
  };
  let lastEpoch = -1;
  const readAt = (buf: Buffer, at: number) => {
    const len = Math.min(buf.length, o.fileSize - at);
    return readFully(o.fd, buf, 0, len, at).then((n) => ({ buf, n, at }));
  };
  // Each chunk starts at a batch boundary: after walking a chunk's length fields we know where the next read must
  // start, issue it, and only then do the CRC work on the current chunk, so disk and CPU overlap without copying.
  let pending: Promise<{ buf: Buffer; n: number; at: number }> | null = o.from < o.fileSize ? readAt(bufs[which], o.from) : null;
  while (pending) {
    const { buf, n, at } = await pending;
    pending = null;
    if (n === 0) break;
    // Walk lengths to find the complete batches in this chunk.
    let end = 0;
    let bad: string | undefined;
    while (n - end >= LOG_OVERHEAD) {
      const batchLength = buf.readInt32BE(end + 8);
      const total = batchLength + LOG_OVERHEAD;
      if (batchLength < RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD || at + end + total > o.fileSize) {
        bad = `batch at position ${at + end} has invalid length ${batchLength}`;
        break;
      }
      if (end + total > n) break;
      end += total;
    }
    if (!bad && end === 0 && at + n < o.fileSize && n === buf.length) {
      // A single batch larger than the buffer: grow and re-read.
      const total = buf.readInt32BE(8) + LOG_OVERHEAD;
      bufs[which] = Buffer.allocUnsafeSlow(total);
      pending = readAt(bufs[which], at);
      continue;
    }
    if (!bad && at + end < o.fileSize && end > 0) {
      which ^= 1;
      pending = readAt(bufs[which], at + end);
    }
    let p = 0;
    while (p < end) {
      const filePos = at + p;
      const view = new RecordBatchView(buf, p);
      const total = view.batchLength + LOG_OVERHEAD;
      const reason = checkBatch(view, buf, p, total, res.nextOffset, o.baseOffset, o.verifyCrc);
      if (reason) {
        bad = `batch at position ${filePos}: ${reason}`;
        break;
      }
      const lastOffset = view.lastOffset;
      const maxTs = view.maxTimestamp;
      const epoch = view.partitionLeaderEpoch;
      if (epoch > lastEpoch) {
        res.epochs.push({ epoch, startOffset: view.baseOffset });
        lastEpoch = epoch;
      }
      if (maxTs > res.maxTimestamp) {
        res.maxTimestamp = maxTs;
        res.offsetOfMaxTimestamp = lastOffset;
      }
      if (filePos === 0) res.firstBatchTimestamp = maxTs;
      if (res.bytesSinceLastIndexEntry > o.indexIntervalBytes) {
        o.index?.append(lastOffset, filePos);
        if (res.maxTimestamp >= 0) o.timeIndex?.maybeAppend(res.maxTimestamp, res.offsetOfMaxTimestamp);
        res.bytesSinceLastIndexEntry = 0;
      }
      res.bytesSinceLastIndexEntry += total;
      res.nextOffset = lastOffset + 1;
      p += total;
      res.validBytes = filePos + total;
    }
    if (bad) {
      res.invalidReason = bad;
      break;
    }
  }
  if (pending) await (pending as Promise<unknown>).catch(() => undefined);
  if (!res.invalidReason && res.validBytes < o.fileSize) res.invalidReason = `${o.fileSize - res.validBytes} trailing bytes do not form a batch`;
  return res;
}

function checkBatch(view: RecordBatchView, data: Buffer, p: number, total: number, expected: number, base: number, verifyCrc: boolean): string | null {
  if (data[p + MAGIC_AT] !== 2) return `magic ${data[p + MAGIC_AT]} is not 2`;
  const baseOffset = view.baseOffset;
  const delta = view.lastOffsetDelta;
  if (!Number.isSafeInteger(baseOffset) || baseOffset < expected || baseOffset < base) return `base offset ${baseOffset} below expected ${expected}`;
  if (delta < 0 || baseOffset + delta - base > INT32_MAX) return `last offset delta ${delta} out of range`;
  if (verifyCrc) {
    const stored = data.readUInt32BE(p + CRC_AT);
    if (crc32c(data.subarray(p + ATTRIBUTES_AT, p + total)) !== stored) return 'CRC mismatch';
  }
  return null;
}

/** Reads a whole small file (index) asynchronously; null if missing. */
export async function readSmallFile(file: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** A shared LRU of open sealed segments, bounded by count and by index memory. */
export class SegmentCache {
  private head: LogSegment | null = null; // most recent
  private tail: LogSegment | null = null;
  private count = 0;
  private bytes = 0;

  constructor(
    readonly maxOpenSegments = 256,
    readonly maxIndexBytes = 128 * 1024 * 1024,
  ) {}

  get openSegments(): number {
    return this.count;
  }

  get indexBytes(): number {
    return this.bytes;
  }

  touch(seg: LogSegment): void {
    if (seg.active || seg.deleted) return;
    if (seg.inLru) this.unlink(seg);
    seg.lruNext = this.head;
    seg.lruPrev = null;
    if (this.head) this.head.lruPrev = seg;
    this.head = seg;
    if (!this.tail) this.tail = seg;
    seg.inLru = true;
    this.count++;
    this.bytes += seg.memoryBytes;
    this.evict();
  }

  remove(seg: LogSegment): void {
    if (seg.inLru) this.unlink(seg);
  }

  /** Recomputes a segment's memory after its indexes changed. */
  resize(seg: LogSegment, oldBytes: number): void {
    if (seg.inLru) this.bytes += seg.memoryBytes - oldBytes;
  }

  private unlink(seg: LogSegment): void {
    if (seg.lruPrev) seg.lruPrev.lruNext = seg.lruNext;
    else this.head = seg.lruNext;
    if (seg.lruNext) seg.lruNext.lruPrev = seg.lruPrev;
    else this.tail = seg.lruPrev;
    seg.lruPrev = seg.lruNext = null;
    seg.inLru = false;
    this.count--;
    this.bytes -= seg.memoryBytes;
  }

  /** Closes least recently used segments that nobody is using until both limits hold. */
  evict(): void {
    let cur = this.tail;
    while (cur && (this.count > this.maxOpenSegments || this.bytes > this.maxIndexBytes)) {
      const prev = cur.lruPrev;
      if (cur.refs === 0 && cur.opening === null && cur.timeOpening === null) {
        this.unlink(cur);
        cur.closeHandle();
      }
      cur = prev;
    }
  }

  /** Called when a segment's last user leaves, in case it was kept open over the limit. */
  released(seg: LogSegment): void {
    if (seg.refs === 0 && (!seg.inLru || seg.deleted)) {
      if (seg.deleted) {
        if (seg.inLru) this.unlink(seg);
        seg.closeHandle();
      }
      return;
    }
    if (this.count > this.maxOpenSegments || this.bytes > this.maxIndexBytes) this.evict();
  }
}
