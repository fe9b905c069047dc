// Snappy as Kafka carries it. Java producers (snappy-java's SnappyOutputStream) write the "xerial" stream:
//   8-byte magic 82 'SNAPPY' 00, int32 BE version (1), int32 BE compatible version (1),
//   then chunks of int32 BE compressed length + one raw snappy block (32 KiB of input per chunk).
// librdkafka and kafkajs write a bare raw snappy block instead; every consumer accepts both.
import { corrupt } from '../records/fail';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_SIZE = 16;
export const XERIAL_VERSION = 1;
export const XERIAL_COMPATIBLE_VERSION = 1;
/** snappy-java's default chunk size. */
export const XERIAL_CHUNK_SIZE = 32 * 1024;

export function isXerialFramed(buf: Buffer): boolean {
  return buf.length >= XERIAL_HEADER_SIZE && buf.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

/**
 * The uncompressed length a raw snappy block declares in its uvarint preamble (max 2^32-1).
 * Throws CORRUPT_MESSAGE when the preamble is malformed.
 */
export function snappyRawLength(buf: Buffer, start = 0, end = buf.length): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (start + i >= end) corrupt('snappy block is truncated');
    const b = buf[start + i];
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > 0xffffffff) corrupt('snappy block declares a length above 2^32');
      return v;
    }
    mul *= 128;
  }
  return corrupt('snappy block length preamble is longer than 5 bytes');
}

/** Chunk boundaries of a xerial stream: [start, end) of each raw block, and the sum of declared lengths. */
export function xerialChunks(buf: Buffer): { chunks: Array<[number, number]>; total: number } {
  if (!isXerialFramed(buf)) corrupt('snappy data lacks the xerial header');
  const chunks: Array<[number, number]> = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  const end = buf.length;
  while (pos < end) {
    if (end - pos < 4) corrupt('xerial snappy chunk length is truncated');
    const len = buf.readUInt32BE(pos);
    pos += 4;
    if (len > end - pos) corrupt(`xerial snappy chunk of ${len} bytes runs past the end of the data`);
    // snappy-java tolerates empty chunks; an empty raw block is not valid snappy, so skip it.
    if (len > 0) {
      total += snappyRawLength(buf, pos, pos + len);
      chunks.push([pos, pos + len]);
    }
    pos += len;
  }
  return { chunks, total };
}
