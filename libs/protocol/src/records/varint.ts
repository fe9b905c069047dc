// Zigzag varints as used inside v2 records. Values travel as JS numbers: record-level deltas and lengths are
// int32, and timestamp deltas (varlong) stay far below 2^53 in practice.
import { corrupt } from './fail';

const TWO_32 = 4294967296;

export function sizeOfVarint(n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

export function writeVarint(buf: Buffer, pos: number, n: number): number {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function zigzagLong(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

export function sizeOfVarlong(n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) return sizeOfVarint(n);
  let v = zigzagLong(n);
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

export function writeVarlong(buf: Buffer, pos: number, n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) return writeVarint(buf, pos, n);
  let v = zigzagLong(n);
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** A cursor over `buf[pos, end)` that bounds-checks every read and raises CORRUPT_MESSAGE. */
export class RecordCursor {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) corrupt('record varint runs past the end of the batch');
      const b = buf[pos++];
      if (shift === 28) {
        if (b > 0x0f) corrupt('record varint is longer than 5 bytes');
        v |= b << 28;
        break;
      }
      v |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    this.pos = pos;
    v >>>= 0;
    return (v >>> 1) ^ -(v & 1);
  }

  varlong(): number {
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (i === 10) corrupt('record varlong is longer than 10 bytes');
      if (pos >= this.end) corrupt('record varlong runs past the end of the batch');
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    this.pos = pos;
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  int8(): number {
    if (this.pos >= this.end) corrupt('record runs past the end of the batch');
    return this.buf.readInt8(this.pos++);
  }

  /** A zero-copy view of the next `len` bytes, or null for len -1. */
  bytesOrNull(len: number, what: string): Buffer | null {
    if (len < 0) {
      if (len === -1) return null;
      corrupt(`record ${what} has invalid length ${len}`);
    }
    if (len > this.end - this.pos) corrupt(`record ${what} length ${len} runs past the end of the record`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(len: number, what: string): void {
    if (len < 0) {
      if (len === -1) return;
      corrupt(`record ${what} has invalid length ${len}`);
    }
    if (len > this.end - this.pos) corrupt(`record ${what} length ${len} runs past the end of the record`);
    this.pos += len;
  }
}

/** Reads a big-endian int64 at `off` as a JS number (exact below 2^53). */
export function readInt64Number(buf: Buffer, off: number): number {
  return buf.readInt32BE(off) * TWO_32 + buf.readUInt32BE(off + 4);
}

export function writeInt64Number(buf: Buffer, off: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  buf.writeInt32BE(hi, off);
  buf.writeUInt32BE(n - hi * TWO_32, off + 4);
}
