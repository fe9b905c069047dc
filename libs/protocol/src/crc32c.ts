// CRC32C (Castagnoli), the checksum of Kafka record batch v2.
// The native @node-rs/crc32 (SSE4.2 / ARM CRC, prebuilt per platform) runs at several GB/s; the pure-JS
// slicing-by-8 table version below is about 5x slower and is used only when the native module cannot load.

/** `crc32c(buf, initial)` continues a running checksum: crc32c(b, crc32c(a)) === crc32c(a ++ b). */
export type Crc32cFn = (buf: Uint8Array, initial?: number) => number;

const POLY = 0x82f63b78; // reflected Castagnoli polynomial

let tables: Uint32Array[] | null = null;

function buildTables(): Uint32Array[] {
  const t: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) t.push(new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[0][n];
    for (let k = 1; k < 8; k++) {
      c = t[0][c & 0xff] ^ (c >>> 8);
      t[k][n] = c >>> 0;
    }
  }
  return t;
}

/** Pure-JS CRC32C, slicing-by-8. Exported for tests and for platforms without the native module. */
export function crc32cJs(buf: Uint8Array, initial = 0): number {
  if (tables === null) tables = buildTables();
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables;
  let crc = ~initial >>> 0;
  let i = 0;
  const len = buf.length;
  const end8 = len - (len & 7);
  while (i < end8) {
    const a = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) ^ crc;
    crc =
      t7[a & 0xff] ^
      t6[(a >>> 8) & 0xff] ^
      t5[(a >>> 16) & 0xff] ^
      t4[a >>> 24] ^
      t3[buf[i + 4]] ^
      t2[buf[i + 5]] ^
      t1[buf[i + 6]] ^
      t0[buf[i + 7]];
    i += 8;
  }
  while (i < len) crc = t0[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
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
