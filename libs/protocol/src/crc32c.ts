// CRC32C (Castagnoli), the checksum of Kafka record batch v2.
// The native @node-rs/crc32 (SSE4.2 / ARM CRC, prebuilt per platform) runs at several GB/s; the pure-JS
// slicing-by-8 version below is about 5x slower and is used only when the native module cannot load.

/** `crc32c(buf, initial)` continues a running checksum: crc32c(b, crc32c(a)) === crc32c(a ++ b). */
export type Crc32cFn = (buf: Uint8Array, initial?: number) => number;

const POLY = 0x82f63b78; // reflected Castagnoli polynomial

// Eight 256-entry tables in one Int32Array (slicing-by-8). Int32 keeps every value a small integer for V8, which is
// about twice as fast as Uint32 entries above 2^31 that become heap doubles.
let table: Int32Array | null = null;

function buildTable(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Pure-JS CRC32C, slicing-by-8 over aligned 32-bit words. Exported for tests and platforms without the native module. */
export function crc32cJs(buf: Uint8Array, initial = 0): number {
  const t = (table ??= buildTable());
  let crc = ~initial;
  let i = 0;
  const len = buf.length;
  if (LITTLE_ENDIAN) {
    // Bytes up to a 4-byte boundary, then 8 bytes per step read as two int32 words.
    while (i < len && ((buf.byteOffset + i) & 3) !== 0) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
    const words = ((len - i) >>> 3) * 2;
    if (words > 0) {
      const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
      for (let j = 0; j < words; j += 2) {
        const a = w[j] ^ crc;
        const b = w[j + 1];
        crc =
          t[1792 + (a & 0xff)] ^
          t[1536 + ((a >>> 8) & 0xff)] ^
          t[1280 + ((a >>> 16) & 0xff)] ^
          t[1024 + (a >>> 24)] ^
          t[768 + (b & 0xff)] ^
          t[512 + ((b >>> 8) & 0xff)] ^
          t[256 + ((b >>> 16) & 0xff)] ^
          t[b >>> 24];
      }
      i += words * 4;
    }
  }
  while (i < len) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

function loadNative(): Crc32cFn | null {
  if (process.env.RUNNEL_CRC32C_JS === '1') return null; // lets tests and benches force the fallback
  try {
    const mod = require('@node-rs/crc32') as { crc32c(input: Uint8Array, initial?: number | null): number };
    const fn = mod.crc32c;
    // Guard against a broken binary that loads but computes garbage.
    if (fn(Buffer.from('123456789')) !== 0xe3069283) return null;
    return fn as Crc32cFn;
  } catch {
    return null;
  }
}

const native = loadNative();

/** Which implementation `crc32c` uses on this machine. */
export const CRC32C_IMPLEMENTATION: 'native' | 'js' = native ? 'native' : 'js';

/** CRC32C of `buf`, optionally continuing from a previous CRC `initial`. Returns an unsigned 32-bit number. */
export const crc32c: Crc32cFn = native ?? crc32cJs;
