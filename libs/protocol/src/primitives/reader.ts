import { CORRUPT_MESSAGE, INVALID_REQUEST, KafkaProtocolError } from '../errors/kafka-protocol-error';
import { uuidToString } from './uuid';

/**
 * Sequential reader over one Buffer between `offset` and `end`.
 *
 * Every read checks the bytes it needs against what remains before touching them, and every length prefix
 * (strings, bytes, arrays) is checked against the remaining bytes before anything is allocated, so a hostile
 * frame can never make us allocate more than the frame itself holds. Bytes-like values are returned as
 * zero-copy slices of the underlying buffer.
 */
export class Reader {
  buf: Buffer;
  offset: number;
  end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new RangeError(`Reader window [${offset}, ${end}) is outside a buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws CORRUPT_MESSAGE unless `n` more bytes are available. */
  need(n: number): void {
    if (n > this.end - this.offset) {
      throw new KafkaProtocolError(
        CORRUPT_MESSAGE,
        `Truncated frame: need ${n} byte(s) at offset ${this.offset}, only ${this.end - this.offset} left`,
      );
    }
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** Zero-copy slice of the next `n` bytes. */
  slice(n: number): Buffer {
    this.need(n);
    const start = this.offset;
    this.offset += n;
    return this.buf.subarray(start, start + n);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  bool(): boolean {
    this.need(1);
    return this.buf[this.offset++] !== 0;
  }

  int16(): number {
    const o = this.offset;
    if (o + 2 > this.end) this.need(2);
    const b = this.buf;
    this.offset = o + 2;
    return ((b[o] << 24) | (b[o + 1] << 16)) >> 16;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    const o = this.offset;
    if (o + 4 > this.end) this.need(4);
    const b = this.buf;
    this.offset = o + 4;
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 varint, at most 5 bytes, result in [0, 2^32). */
  uvarint(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) this.need(1);
      const b = buf[this.offset++];
      if (i === 4 && b > 0x0f) break;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new KafkaProtocolError(CORRUPT_MESSAGE, `Unsigned varint longer than 5 bytes at offset ${this.offset}`);
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const u = this.uvarint();
    // u < 2^32: undo zigzag without going through 32-bit ops for the high bit
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Unsigned varlong, at most 10 bytes. */
  uvarlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) this.need(1);
      const b = this.buf[this.offset++];
      if (i === 9 && b > 0x01) break;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new KafkaProtocolError(CORRUPT_MESSAGE, `Unsigned varlong longer than 10 bytes at offset ${this.offset}`);
  }

  /** Zigzag-encoded signed 64-bit varlong. */
  varlong(): bigint {
    const u = this.uvarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  /** Zigzag varlong returned as a JS number when it is a safe integer (record timestamp/offset deltas). */
  varlongNumber(): number {
    const start = this.offset;
    // Fast path: up to 7 bytes (49 bits) stays exact in doubles.
    let u = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.offset >= this.end) this.need(1);
      const b = this.buf[this.offset++];
      u += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      mul *= 128;
    }
    this.offset = start;
    const v = this.varlong();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new KafkaProtocolError(CORRUPT_MESSAGE, `Varlong ${v} is outside the safe integer range`);
    }
    return Number(v);
  }

  uuid(): string {
    this.need(16);
    const s = uuidToString(this.buf, this.offset);
    this.offset += 16;
    return s;
  }

  // ---- strings ------------------------------------------------------------------------------------------------

  private utf8(len: number): string {
    this.need(len);
    const start = this.offset;
    this.offset += len;
    return this.buf.toString('utf8', start, start + len);
  }

  /** int16 length; -1 means null. */
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len === -1) return null;
      throw new KafkaProtocolError(CORRUPT_MESSAGE, `Invalid string length ${len}`);
    }
    return this.utf8(len);
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new KafkaProtocolError(INVALID_REQUEST, 'Null value for a non-nullable string');
    return s;
  }

  /** uvarint length + 1; 0 means null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new KafkaProtocolError(INVALID_REQUEST, 'Null value for a non-nullable compact string');
    return s;
  }

  // ---- bytes (zero-copy slices) ---------------------------------------------------------------------------------

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) {
      if (len === -1) return null;
      throw new KafkaProtocolError(CORRUPT_MESSAGE, `Invalid bytes length ${len}`);
    }
    return this.slice(len);
  }

  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new KafkaProtocolError(INVALID_REQUEST, 'Null value for non-nullable bytes');
    return b;
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.slice(n - 1);
  }

  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    if (b === null) throw new KafkaProtocolError(INVALID_REQUEST, 'Null value for non-nullable compact bytes');
    return b;
  }

  /** Varint length (record format); -1 means null. */
  varintBytes(): Buffer | null {
    const len = this.varint();
    if (len < 0) {
      if (len === -1) return null;
      throw new KafkaProtocolError(CORRUPT_MESSAGE, `Invalid varint length ${len}`);
    }
    return this.slice(len);
  }

  // ---- arrays ---------------------------------------------------------------------------------------------------

  /**
   * Checks a decoded element count against the remaining bytes, given the minimum encoded size of one element,
   * so that no array bigger than the frame could justify is ever allocated.
   */
  checkCount(count: number, minElementSize: number): void {
    const rem = this.end - this.offset;
    if (count > rem || count * minElementSize > rem) {
      throw new KafkaProtocolError(
        CORRUPT_MESSAGE,
        `Array of ${count} element(s) cannot fit in the ${rem} byte(s) left at offset ${this.offset}`,
      );
    }
  }

  /** int32 count; -1 = null. Returns -1 for null. */
  arrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n < 0) {
      if (n === -1) return -1;
      throw new KafkaProtocolError(CORRUPT_MESSAGE, `Invalid array length ${n}`);
    }
    this.checkCount(n, minElementSize);
    return n;
  }

  /** uvarint count + 1; 0 = null. Returns -1 for null. */
  compactArrayLength(minElementSize = 1): number {
    const n = this.uvarint() - 1;
    if (n >= 0) this.checkCount(n, minElementSize);
    return n;
  }
}
