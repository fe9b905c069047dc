import { INVALID_REQUEST, KafkaProtocolError } from '../errors/kafka-protocol-error';
import { writeUuid } from './uuid';

/** Buffers at least this big are appended by reference by `raw()`; smaller ones are copied (cheaper than a segment). */
const RAW_BY_REFERENCE_MIN = 256;
const INITIAL_SIZE = 256;
const MAX_SEGMENT = 64 * 1024;

/**
 * Growable writer that produces a list of Buffer segments ("rope").
 *
 * Growing never copies what was written: the filled part of the current segment is sealed and a new segment is
 * started. `raw()` seals the current segment and appends a big Buffer by reference, so record batches read from
 * storage go to the socket without being copied. `toChunks()` returns the segments, `toBuffer()` joins them.
 */
export class Writer {
  private chunks: Buffer[] = [];
  private sealedLength = 0;
  private cur: Buffer;
  private pos = 0;

  constructor(initialSize = INITIAL_SIZE) {
    this.cur = Buffer.allocUnsafe(initialSize);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.sealedLength + this.pos;
  }

  private seal(): void {
    if (this.pos > 0) {
      this.chunks.push(this.cur.subarray(0, this.pos));
      this.sealedLength += this.pos;
      this.cur = this.cur.subarray(this.pos);
      this.pos = 0;
    }
  }

  /** Makes room for `n` more bytes in the current segment. */
  private ensure(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.seal();
    if (n <= this.cur.length) return;
    const size = Math.max(n, Math.min(MAX_SEGMENT, Math.max(INITIAL_SIZE, this.sealedLength)));
    this.cur = Buffer.allocUnsafe(size);
  }

  int8(v: number): this {
    this.ensure(1);
    this.cur.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.cur[this.pos++] = v;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.cur[this.pos++] = v ? 1 : 0;
    return this;
  }

  int16(v: number): this {
    if ((v << 16) >> 16 !== v) throw new KafkaProtocolError(INVALID_REQUEST, `int16 out of range: ${v}`);
    this.ensure(2);
    const b = this.cur;
    const p = this.pos;
    b[p] = v >> 8;
    b[p + 1] = v;
    this.pos = p + 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.cur.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    if ((v | 0) !== v) throw new KafkaProtocolError(INVALID_REQUEST, `int32 out of range: ${v}`);
    this.ensure(4);
    const b = this.cur;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.cur.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint | number): this {
    this.ensure(8);
    this.cur.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.cur.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** Unsigned varint of a value in [0, 2^32). */
  uvarint(v: number): this {
    if (!(v >= 0 && v <= 0xffffffff) || !Number.isInteger(v)) {
      throw new KafkaProtocolError(INVALID_REQUEST, `Unsigned varint out of range: ${v}`);
    }
    this.ensure(5);
    const buf = this.cur;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
    return this;
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  uvarlong(v: bigint): this {
    this.ensure(10);
    const buf = this.cur;
    v = BigInt.asUintN(64, v);
    while (v >= 0x80n) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
    return this;
  }

  /** Zigzag signed 64-bit varlong (bigint or safe-integer number). */
  varlong(v: bigint | number): this {
    if (typeof v === 'number' && Math.abs(v) < 2 ** 31) {
      return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
    }
    const b = BigInt.asIntN(64, BigInt(v));
    return this.uvarlong((b << 1n) ^ (b >> 63n));
  }

  uuid(s: string): this {
    this.ensure(16);
    writeUuid(this.cur, this.pos, s);
    this.pos += 16;
    return this;
  }

  private utf8(s: string, len: number): void {
    this.ensure(len);
    this.cur.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  /** Writes a short all-ASCII string byte by byte (no byteLength pass); returns false if it isn't one. */
  private asciiFast(s: string, compact: boolean): boolean {
    const n = s.length;
    if (n > 64) return false;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return false;
    if (compact) this.uvarint(n + 1);
    else this.int16(n);
    this.ensure(n);
    const b = this.cur;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
    return true;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    if (this.asciiFast(s, false)) return this;
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new KafkaProtocolError(INVALID_REQUEST, `String of ${len} bytes is too long`);
    this.int16(len);
    this.utf8(s, len);
    return this;
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    if (this.asciiFast(s, true)) return this;
    const len = Buffer.byteLength(s, 'utf8');
    this.uvarint(len + 1);
    this.utf8(s, len);
    return this;
  }

  compactString(s: string): this {
    return this.compactNullableString(s);
  }

  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    return this.raw(b);
  }

  bytes(b: Buffer): this {
    return this.nullableBytes(b);
  }

  compactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  compactBytes(b: Buffer): this {
    return this.compactNullableBytes(b);
  }

  /** Varint length (record format); null = -1. */
  varintBytes(b: Buffer | null): this {
    if (b === null) return this.varint(-1);
    this.varint(b.length);
    return this.raw(b);
  }

  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }

  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1);
  }

  /** Appends bytes; buffers of RAW_BY_REFERENCE_MIN bytes or more are kept by reference (not copied). */
  raw(b: Buffer): this {
    const n = b.length;
    if (n < RAW_BY_REFERENCE_MIN) {
      this.ensure(n);
      b.copy(this.cur, this.pos);
      this.pos += n;
      return this;
    }
    this.seal();
    this.chunks.push(b);
    this.sealedLength += n;
    return this;
  }

  /** Appends every segment of another writer by reference. */
  append(other: Writer): this {
    for (const c of other.toChunks()) this.raw(c);
    return this;
  }

  /**
   * Overwrites 4 bytes at absolute position `at` with a big-endian int32 (used for size prefixes reserved up front).
   * The 4 bytes must lie in one segment written by this writer, which holds for positions reserved with int32().
   */
  patchInt32(at: number, v: number): this {
    let base = 0;
    for (const c of this.chunks) {
      if (at < base + c.length) {
        c.writeInt32BE(v, at - base);
        return this;
      }
      base += c.length;
    }
    this.cur.writeInt32BE(v, at - base);
    return this;
  }

  toChunks(): Buffer[] {
    this.seal();
    return this.chunks.slice();
  }

  toBuffer(): Buffer {
    this.seal();
    if (this.chunks.length === 1) return this.chunks[0];
    return Buffer.concat(this.chunks, this.sealedLength);
  }
}

/** Byte size of an unsigned varint. */
export function sizeOfUvarint(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
