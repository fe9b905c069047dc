// Upper bounds on the decompressed size of lz4 and zstd frames, found by walking block headers only.
// The native decoders grow their output without limit, so a small hostile frame (a "decompression bomb") could
// otherwise make them allocate gigabytes; these walks let us refuse it before decoding anything.
import { corrupt } from '../records/fail';

const LZ4_MAGIC = 0x184d2204;
const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const ZSTD_MAX_BLOCK = 128 * 1024;

/** Max decompressed size of a sequence of LZ4 frames (skippable frames allowed). Throws CORRUPT_MESSAGE. */
export function lz4FrameBound(buf: Buffer): number {
  let pos = 0;
  let total = 0;
  const end = buf.length;
  if (end === 0) corrupt('lz4 data is empty');
  while (pos < end) {
    if (end - pos < 4) corrupt('lz4 frame is truncated');
    const magic = buf.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (end - pos < 8) corrupt('lz4 skippable frame is truncated');
      const size = buf.readUInt32LE(pos + 4);
      if (size > end - pos - 8) corrupt('lz4 skippable frame is truncated');
      pos += 8 + size;
      continue;
    }
    if (magic !== LZ4_MAGIC) corrupt(`lz4 data has bad frame magic 0x${magic.toString(16)}`);
    if (end - pos < 7) corrupt('lz4 frame header is truncated');
    const flg = buf[pos + 4];
    const bd = buf[pos + 5];
    if (flg >> 6 !== 1) corrupt(`lz4 frame version ${flg >> 6} is not supported`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    const sizeId = (bd >> 4) & 0x07;
    if (sizeId < 4) corrupt(`lz4 frame has invalid block size id ${sizeId}`);
    const blockMax = 1 << (2 * sizeId + 8); // 4 -> 64 KiB ... 7 -> 4 MiB
    pos += 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // descriptor + header checksum byte
    if (pos > end) corrupt('lz4 frame header is truncated');
    for (;;) {
      if (end - pos < 4) corrupt('lz4 frame is truncated (no end mark)');
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const uncompressed = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) corrupt(`lz4 block of ${size} bytes exceeds the frame's block size ${blockMax}`);
      const skip = size + (blockChecksum ? 4 : 0);
      if (skip > end - pos) corrupt('lz4 block is truncated');
      pos += skip;
      total += uncompressed ? size : blockMax;
    }
    if (contentChecksum) {
      if (end - pos < 4) corrupt('lz4 content checksum is truncated');
      pos += 4;
    }
  }
  return total;
}

/** Max decompressed size of a sequence of zstd frames (skippable frames allowed). Throws CORRUPT_MESSAGE. */
export function zstdFrameBound(buf: Buffer): number {
  let pos = 0;
  let total = 0;
  const end = buf.length;
  if (end === 0) corrupt('zstd data is empty');
  while (pos < end) {
    if (end - pos < 4) corrupt('zstd frame is truncated');
    const magic = buf.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (end - pos < 8) corrupt('zstd skippable frame is truncated');
      const size = buf.readUInt32LE(pos + 4);
      if (size > end - pos - 8) corrupt('zstd skippable frame is truncated');
      pos += 8 + size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) corrupt(`zstd data has bad frame magic 0x${magic.toString(16)}`);
    if (end - pos < 5) corrupt('zstd frame header is truncated');
    const fhd = buf[pos + 4];
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    if (fhd & 0x08) corrupt('zstd frame header has the reserved bit set');
    const checksum = (fhd & 0x04) !== 0;
    const dictIdSize = [0, 1, 2, 4][fhd & 0x03];
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
    pos += 5 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize;
    if (pos > end) corrupt('zstd frame header is truncated');
    for (;;) {
      if (end - pos < 3) corrupt('zstd block header is truncated');
      const hdr = buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16);
      pos += 3;
      const last = (hdr & 1) !== 0;
      const type = (hdr >> 1) & 3;
      const size = hdr >>> 3;
      if (type === 0) {
        // raw
        if (size > end - pos) corrupt('zstd raw block is truncated');
        pos += size;
        total += size;
      } else if (type === 1) {
        // RLE: one byte repeated `size` times
        if (end - pos < 1) corrupt('zstd RLE block is truncated');
        pos += 1;
        total += size;
      } else if (type === 2) {
        if (size > end - pos) corrupt('zstd compressed block is truncated');
        pos += size;
        total += ZSTD_MAX_BLOCK;
      } else {
        corrupt('zstd block has the reserved type');
      }
      if (last) break;
    }
    if (checksum) {
      if (end - pos < 4) corrupt('zstd content checksum is truncated');
      pos += 4;
    }
  }
  return total;
}
