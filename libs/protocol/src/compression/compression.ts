// The record batch compression codecs: gzip (zlib), snappy (`snappy`), lz4 frame (`lz4-napi`), zstd
// (`@toondepauw/node-zstd`). Native modules load lazily, so a codec that can't load only fails when used.
// Every decompression is bounded (maxOutputBytes): sizes are checked from headers before any decoding.
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { corrupt, protocolError, UNSUPPORTED_COMPRESSION_TYPE } from '../records/fail';
import { lz4FrameBound, zstdFrameBound } from './bounds';
import {
  isXerialFramed,
  snappyRawLength,
  XERIAL_CHUNK_SIZE,
  XERIAL_COMPATIBLE_VERSION,
  XERIAL_HEADER_SIZE,
  XERIAL_MAGIC,
  XERIAL_VERSION,
  xerialChunks,
} from './snappy-xerial';

export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof NAMES)[number];

/** 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' (Kafka's compression.type spellings). */
export function compressionName(type: number): CompressionName {
  const n = NAMES[type];
  if (n === undefined) throw protocolError(UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${type}`);
  return n;
}

/**
 * Parses a compression.type config value. Returns null for 'producer' (keep what the producer sent);
 * 'uncompressed' and 'none' both mean no compression. Unknown names throw.
 */
export function parseCompressionType(name: string): CompressionType | null {
  const n = name.trim().toLowerCase();
  if (n === 'producer') return null;
  if (n === 'uncompressed') return CompressionType.None;
  const i = (NAMES as readonly string[]).indexOf(n);
  if (i < 0) throw protocolError(UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type '${name}'`);
  return i as CompressionType;
}

/** Default cap on one decompressed payload (256 MiB); change it with `setMaxDecompressedBytes`. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;
let maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES;

export function setMaxDecompressedBytes(n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`max decompressed bytes must be a positive integer, got ${n}`);
  maxDecompressedBytes = n;
}
export function getMaxDecompressedBytes(): number {
  return maxDecompressedBytes;
}

export interface CompressOptions {
  /** Codec level: gzip 1-9 (default 6, like Java's Deflater), zstd 1-22 (default 3, Kafka's default), lz4 ignores it. */
  level?: number;
  /** Snappy only: write a bare raw block (as librdkafka and kafkajs do) instead of the xerial stream (Java's). */
  snappyRaw?: boolean;
}

export interface DecompressOptions {
  /** Refuse output larger than this (CORRUPT_MESSAGE). Defaults to the module-wide cap (256 MiB). */
  maxOutputBytes?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Lazy native modules

interface SnappyModule {
  compressSync(input: Uint8Array, options?: { copyOutputData?: boolean }): Buffer;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean; copyOutputData?: boolean }): string | Buffer;
}
interface Lz4Module {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
  compressFrame(data: Buffer): Promise<Buffer>;
  decompressFrame(data: Buffer): Promise<Buffer>;
}
interface ZstdEncoder {
  encodeSync(data: Buffer): Buffer;
  encode(data: Buffer): Promise<Buffer>;
}
interface ZstdDecoder {
  decodeSync(data: Buffer): Buffer;
  decode(data: Buffer): Promise<Buffer>;
}
interface ZstdModule {
  Encoder: new (level: number) => ZstdEncoder;
  Decoder: new () => ZstdDecoder;
}

function loader<T>(name: string, load: () => T): () => T {
  let mod: T | undefined;
  let error: unknown;
  return () => {
    if (mod !== undefined) return mod;
    if (error === undefined) {
      try {
        mod = load();
        return mod;
      } catch (e) {
        error = e;
      }
    }
    throw protocolError(
      UNSUPPORTED_COMPRESSION_TYPE,
      `${name} compression is unavailable: its native module failed to load (${(error as Error)?.message ?? error})`,
    );
  };
}

const snappy = loader<SnappyModule>('snappy', () => require('snappy'));
const lz4 = loader<Lz4Module>('lz4', () => require('lz4-napi'));
const zstd = loader<ZstdModule>('zstd', () => require('@toondepauw/node-zstd'));

// The zstd binding keeps no per-call state, so one encoder per level and one decoder serve every call.
const zstdEncoders = new Map<number, ZstdEncoder>();
let zstdDecoder: ZstdDecoder | undefined;

function zstdEncoder(level: number): ZstdEncoder {
  let enc = zstdEncoders.get(level);
  if (!enc) {
    enc = new (zstd().Encoder)(level);
    zstdEncoders.set(level, enc);
  }
  return enc;
}
function getZstdDecoder(): ZstdDecoder {
  return (zstdDecoder ??= new (zstd().Decoder)());
}

// The napi-rs modules pay ~5 ns per output byte when they hand back an external buffer; copyOutputData
// avoids that and is 3x faster here (see shared/research/performance.md).
const SNAPPY_OPTS = { copyOutputData: true };
const SNAPPY_UNCOMPRESS_OPTS = { asBuffer: true, copyOutputData: true };

// ---------------------------------------------------------------------------------------------------------

export function compress(type: number, data: Buffer, options?: CompressOptions): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return zlib.gzipSync(data, { level: options?.level ?? 6 });
    case CompressionType.Snappy:
      return options?.snappyRaw ? snappy().compressSync(data, SNAPPY_OPTS) : snappyXerialCompress(data);
    case CompressionType.Lz4:
      return lz4().compressFrameSync(data);
    case CompressionType.Zstd:
      return zstdEncoder(options?.level ?? 3).encodeSync(data);
    default:
      throw protocolError(UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${type}`);
  }
}

export function decompress(type: number, data: Buffer, options?: DecompressOptions): Buffer {
  const max = options?.maxOutputBytes ?? maxDecompressedBytes;
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gunzipBounded(data, max);
    case CompressionType.Snappy:
      return isXerialFramed(data) ? snappyXerialDecompress(data, max) : snappyRawDecompress(data, max);
    case CompressionType.Lz4: {
      checkBound('lz4', lz4FrameBound(data), max);
      return native('lz4', () => lz4().decompressFrameSync(data), max);
    }
    case CompressionType.Zstd: {
      checkBound('zstd', zstdFrameBound(data), max);
      const dec = getZstdDecoder();
      return native('zstd', () => dec.decodeSync(data), max);
    }
    default:
      throw protocolError(UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${type}`);
  }
}

/**
 * Like `compress`, but the codec work runs on the libuv thread pool, keeping the event loop free for large
 * payloads. Same output format as `compress`.
 */
export async function compressAsync(type: number, data: Buffer, options?: CompressOptions): Promise<Buffer> {
  switch (type) {
    case CompressionType.Gzip:
      return promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gzip)(data, { level: options?.level ?? 6 });
    case CompressionType.Snappy:
      // snappy runs at ~1.4 GB/s here: a thread-pool hop per 32 KiB chunk would cost more than it saves
      return options?.snappyRaw ? snappy().compressSync(data, SNAPPY_OPTS) : snappyXerialCompress(data);
    case CompressionType.Lz4:
      return lz4().compressFrame(data);
    case CompressionType.Zstd:
      return zstdEncoder(options?.level ?? 3).encode(data);
    default:
      return compress(type, data, options);
  }
}

/** Like `decompress` (same bounds and errors), with the codec work on the libuv thread pool where the codec allows. */
export async function decompressAsync(type: number, data: Buffer, options?: DecompressOptions): Promise<Buffer> {
  const max = options?.maxOutputBytes ?? maxDecompressedBytes;
  switch (type) {
    case CompressionType.Gzip:
      try {
        return await promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gunzip)(data, { maxOutputLength: max });
      } catch (e) {
        return gunzipError(e, max);
      }
    case CompressionType.Lz4: {
      checkBound('lz4', lz4FrameBound(data), max);
      return nativeAsync('lz4', lz4().decompressFrame(data), max);
    }
    case CompressionType.Zstd: {
      checkBound('zstd', zstdFrameBound(data), max);
      return nativeAsync('zstd', getZstdDecoder().decode(data), max);
    }
    default:
      // snappy decodes at ~1.7 GB/s, so a thread-pool hop would cost more than it saves
      return decompress(type, data, options);
  }
}

async function nativeAsync(codec: string, run: Promise<Buffer>, max: number): Promise<Buffer> {
  let out: Buffer;
  try {
    out = await run;
  } catch (e) {
    return corrupt(`invalid ${codec} data: ${(e as Error)?.message ?? e}`);
  }
  if (out.length > max) corrupt(`${codec} data expands beyond the ${max}-byte decompression limit`);
  return out;
}

function checkBound(codec: string, bound: number, max: number): void {
  if (bound > max) {
    corrupt(`${codec} data may expand to ${bound} bytes, above the ${max}-byte decompression limit`);
  }
}

/** Runs a native decoder, turning its errors into CORRUPT_MESSAGE and re-checking the output size. */
function native(codec: string, run: () => Buffer, max: number): Buffer {
  let out: Buffer;
  try {
    out = run();
  } catch (e) {
    return corrupt(`invalid ${codec} data: ${(e as Error)?.message ?? e}`);
  }
  if (out.length > max) corrupt(`${codec} data expands beyond the ${max}-byte decompression limit`);
  return out;
}

function gunzipBounded(data: Buffer, max: number): Buffer {
  try {
    return zlib.gunzipSync(data, { maxOutputLength: max });
  } catch (e) {
    return gunzipError(e, max);
  }
}

function gunzipError(e: unknown, max: number): never {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
    corrupt(`gzip data expands beyond the ${max}-byte decompression limit`);
  }
  return corrupt(`invalid gzip data: ${err?.message ?? e}`);
}

function snappyRawDecompress(data: Buffer, max: number): Buffer {
  const len = snappyRawLength(data);
  checkBound('snappy', len, max);
  // A snappy copy op emits at most 64 bytes for 3 input bytes, so a larger claim is a lie; refuse it before the
  // decoder allocates the claimed size.
  if (len > data.length * 22 + 64) corrupt(`snappy block claims ${len} bytes, impossible for ${data.length} input bytes`);
  const out = native('snappy', () => snappy().uncompressSync(data, SNAPPY_UNCOMPRESS_OPTS) as Buffer, max);
  if (out.length !== len) corrupt(`snappy block declared ${len} bytes but decoded to ${out.length}`);
  return out;
}

function snappyXerialDecompress(data: Buffer, max: number): Buffer {
  const { chunks, total } = xerialChunks(data);
  checkBound('snappy', total, max);
  if (chunks.length === 1) return snappyRawDecompress(data.subarray(chunks[0][0], chunks[0][1]), max);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const [start, end] of chunks) {
    pos += snappyRawDecompress(data.subarray(start, end), max).copy(out, pos);
  }
  return out;
}

function snappyXerialCompress(data: Buffer): Buffer {
  const s = snappy();
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  parts.push(header);
  let size = XERIAL_HEADER_SIZE;
  for (let pos = 0; pos < data.length; pos += XERIAL_CHUNK_SIZE) {
    const block = s.compressSync(data.subarray(pos, Math.min(pos + XERIAL_CHUNK_SIZE, data.length)), SNAPPY_OPTS);
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(block.length, 0);
    parts.push(len, block);
    size += 4 + block.length;
  }
  return Buffer.concat(parts, size);
}
