// The sparse .index (relative offset int32 -> file position int32, 8 bytes per entry, big-endian) and .timeindex
// (timestamp int64 -> relative offset int32, 12 bytes) of one segment, in Kafka's entry formats. Entries live in a
// Buffer that is the exact image of the file, so persisting is a plain write of the tail not yet on disk.
import * as fs from 'node:fs';

abstract class IndexBuffer {
  protected buf: Buffer;
  protected count = 0;
  /** Entries known to be in the file (a prefix of `buf`). */
  protected persisted = 0;
  /** Length of the file as last written/read, to detect when it must be shortened. */
  protected fileEntries = 0;

  constructor(
    readonly baseOffset: number,
    protected readonly entrySize: number,
    initial?: Buffer,
  ) {
    if (initial) {
      this.count = Math.floor(initial.length / entrySize);
      this.buf = Buffer.allocUnsafe(Math.max(64 * entrySize, this.count * entrySize));
      initial.copy(this.buf, 0, 0, this.count * entrySize);
      this.persisted = this.count;
      this.fileEntries = this.count;
    } else {
      this.buf = Buffer.allocUnsafe(16 * entrySize);
    }
  }

  get entries(): number {
    return this.count;
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /** Memory held (for the open-segment budget). */
  get memoryBytes(): number {
    return this.buf.length;
  }

  protected reserve(): number {
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const next = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    return at;
  }

  /** Drops entries from index `n` on. */
  protected truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) this.persisted = n;
  }

  reset(): void {
    this.truncateEntries(0);
  }

  /** Writes entries not yet in the file (and shortens the file after a truncation); fsyncs if asked. */
  persist(file: string, sync: boolean): void {
    if (this.persisted === this.count && this.fileEntries === this.count && !sync) return;
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    try {
      if (this.fileEntries !== this.persisted) fs.ftruncateSync(fd, this.persisted * this.entrySize);
      const from = this.persisted * this.entrySize;
      const to = this.count * this.entrySize;
      let pos = from;
      while (pos < to) pos += fs.writeSync(fd, this.buf, pos, to - pos, pos);
      this.persisted = this.count;
      this.fileEntries = this.count;
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Marks the file as stale (e.g. after a rebuild) so the next persist rewrites it completely. */
  markFileStale(): void {
    this.persisted = 0;
    this.fileEntries = -1;
  }

  /** The in-memory image trimmed to its entries (a copy, safe to keep). */
  image(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.count * this.entrySize));
  }

  /** Shrinks the backing buffer to fit (a sealed segment keeps no slack). */
  compact(): void {
    const need = Math.max(this.entrySize, this.count * this.entrySize);
    if (this.buf.length > need * 2) {
      const next = Buffer.allocUnsafe(need);
      this.buf.copy(next, 0, 0, this.count * this.entrySize);
      this.buf = next;
    }
  }
}

export interface IndexEntry {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexBuffer {
  static readonly ENTRY_SIZE = 8;

  constructor(baseOffset: number, initial?: Buffer) {
    super(baseOffset, OffsetIndex.ENTRY_SIZE, initial);
  }

  relOffsetAt(i: number): number {
    return this.buf.readInt32BE(i * 8);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4);
  }

  get lastEntry(): IndexEntry {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relOffsetAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.count > 0 && rel <= this.relOffsetAt(this.count - 1)) return;
    const at = this.reserve();
    this.buf.writeInt32BE(rel, at);
    this.buf.writeInt32BE(position, at + 4);
    this.count++;
  }

  /** Index of the last entry with offset <= target, or -1. */
  private floor(target: number): number {
    const rel = target - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relOffsetAt(mid) <= rel) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The last indexed (offset, position) at or before `target`; (base, 0) when there is none. */
  lookup(target: number): IndexEntry {
    const i = this.floor(target);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relOffsetAt(i), position: this.positionAt(i) };
  }

  /** The first indexed position strictly after `position` (for bounded scans), or -1. */
  positionAfter(position: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positionAt(mid) > position) {
        ans = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return ans < 0 ? -1 : this.positionAt(ans);
  }

  /** Removes entries for offsets >= offset. */
  truncateToOffset(offset: number): void {
    this.truncateEntries(this.floor(offset - 1) + 1);
  }

  /** Removes entries at positions >= position. */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.positionAt(n - 1) >= position) n--;
    this.truncateEntries(n);
  }

  isFull(maxIndexBytes: number): boolean {
    return this.count >= Math.floor(maxIndexBytes / 8);
  }

  /** Kafka-style sanity check: whole entries, strictly increasing offsets and positions inside the log. */
  static validate(buf: Buffer, logSize: number): string | null {
    if (buf.length % 8 !== 0) return `index size ${buf.length} is not a multiple of 8`;
    let lastRel = -1;
    let lastPos = -1;
    for (let at = 0; at < buf.length; at += 8) {
      const rel = buf.readInt32BE(at);
      const pos = buf.readInt32BE(at + 4);
      if (rel <= lastRel) return `index offsets not increasing at entry ${at / 8}`;
      if (pos <= lastPos || pos >= logSize) return `index position ${pos} invalid at entry ${at / 8}`;
      lastRel = rel;
      lastPos = pos;
    }
    return null;
  }
}

export interface TimeEntry {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexBuffer {
  static readonly ENTRY_SIZE = 12;

  constructor(baseOffset: number, initial?: Buffer) {
    super(baseOffset, TimeIndex.ENTRY_SIZE, initial);
  }

  timestampAt(i: number): number {
    return Number(this.buf.readBigInt64BE(i * 12));
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * 12 + 8);
  }

  get lastEntry(): TimeEntry | null {
    if (this.count === 0) return null;
    return { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) };
  }

  // The last entry as numbers: maybeAppend runs on the append path, and BigInt reads are not free.
  private lastTs = -Infinity;
  private lastOff = -1;

  private refreshLast(): void {
    this.lastTs = this.count > 0 ? this.timestampAt(this.count - 1) : -Infinity;
    this.lastOff = this.count > 0 ? this.offsetAt(this.count - 1) : -1;
  }

  /** Appends only when the timestamp grows (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, offset: number): void {
    if (this.count > 0 && this.lastTs === -Infinity) this.refreshLast();
    if (timestamp <= this.lastTs || offset < this.lastOff) return;
    const at = this.reserve();
    this.buf.writeBigInt64BE(BigInt(timestamp), at);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
    this.count++;
    this.lastTs = timestamp;
    this.lastOff = offset;
  }

  /** Offset to start scanning from for the first record with timestamp >= ts: last entry with timestamp < ts. */
  lookup(ts: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestampAt(mid) < ts) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? this.baseOffset : this.offsetAt(ans);
  }

  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.offsetAt(n - 1) >= offset) n--;
    this.truncateEntries(n);
    this.refreshLast();
  }

  override reset(): void {
    super.reset();
    this.refreshLast();
  }

  isFull(maxIndexBytes: number): boolean {
    return this.count >= Math.floor(maxIndexBytes / 12);
  }

  static validate(buf: Buffer, baseOffset: number, maxOffset: number): string | null {
    if (buf.length % 12 !== 0) return `time index size ${buf.length} is not a multiple of 12`;
    let lastTs = -Infinity;
    let lastOff = -1;
    for (let at = 0; at < buf.length; at += 12) {
      const ts = Number(buf.readBigInt64BE(at));
      const off = baseOffset + buf.readInt32BE(at + 8);
      if (ts <= lastTs || off < lastOff || off < baseOffset || off > maxOffset) return `time index entry ${at / 12} invalid`;
      lastTs = ts;
      lastOff = off;
    }
    return null;
  }
}
