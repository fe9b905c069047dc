import * as zlib from 'node:zlib';
import * as snappyLib from 'snappy';
import * as lz4Lib from 'lz4-napi';
import { Decoder as ZstdDecoder, Encoder as ZstdEncoder } from '@toondepauw/node-zstd';
import { KafkaProtocolError } from '../errors';
import {
  compress,
  compressAsync,
  decompressAsync,
  compressionName,
  CompressionType,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  getMaxDecompressedBytes,
  parseCompressionType,
  setMaxDecompressedBytes,
} from './compression';
import { lz4FrameBound, zstdFrameBound } from './bounds';
import { isXerialFramed, XERIAL_CHUNK_SIZE } from './snappy-xerial';

function errCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

// xxHash32, only to build LZ4 frame headers by hand (the header checksum byte is xxh32(descriptor) >> 8).
function xxh32(buf: Buffer, seed = 0): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
  let i = 0;
  let h: number;
  const len = buf.length;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0, v2 = (seed + P2) >>> 0, v3 = seed >>> 0, v4 = (seed - P1) >>> 0;
    const round = (v: number, x: number) => mul(rotl((v + mul(x, P2)) >>> 0, 13), P1);
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, buf.readUInt32LE(i));
      v2 = round(v2, buf.readUInt32LE(i + 4));
      v3 = round(v3, buf.readUInt32LE(i + 8));
      v4 = round(v4, buf.readUInt32LE(i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + P5) >>> 0;
  }
  h = (h + len) >>> 0;
  for (; i + 4 <= len; i += 4) h = mul(rotl((h + mul(buf.readUInt32LE(i), P3)) >>> 0, 17), P4);
  for (; i < len; i++) h = mul(rotl((h + mul(buf[i], P5)) >>> 0, 11), P1);
  h = mul(h ^ (h >>> 15), P2);
  h = mul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/** An LZ4 frame laid out the way Kafka's Java KafkaLZ4BlockOutputStream writes it, with stored (uncompressed) blocks. */
function handLz4Frame(data: Buffer, opts: { bd?: number; contentSize?: boolean; blockSize?: number } = {}): Buffer {
  const flg = 0x60 | (opts.contentSize ? 0x08 : 0); // version 01, independent blocks
  const bd = opts.bd ?? 0x40; // 64 KiB max block
  const desc = [flg, bd];
  if (opts.contentSize) {
    const cs = Buffer.alloc(8);
    cs.writeBigUInt64LE(BigInt(data.length));
    desc.push(...cs);
  }
  const hc = (xxh32(Buffer.from(desc)) >>> 8) & 0xff;
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, ...desc, hc])];
  const bs = opts.blockSize ?? 65536;
  for (let p = 0; p < data.length; p += bs) {
    const block = data.subarray(p, p + bs);
    const h = Buffer.alloc(4);
    h.writeUInt32LE((block.length | 0x80000000) >>> 0);
    parts.push(h, block);
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

function sample(n: number, seed = 1): Buffer {
  // Half repetitive JSON-ish text, half pseudo-random bytes, like real payloads.
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    if ((i >> 6) & 1) {
      s = (s * 1103515245 + 12345) >>> 0;
      b[i] = s >>> 24;
    } else {
      b[i] = '{"user":"alice","n":42}'.charCodeAt(i % 23);
    }
  }
  return b;
}

const ALL = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

describe('compression', () => {
  describe.each(ALL.map((t) => [compressionName(t), t] as const))('%s', (_name, type) => {
    it.each([0, 1, 100, XERIAL_CHUNK_SIZE, XERIAL_CHUNK_SIZE + 1, 300_000])('round-trips %i bytes', (n) => {
      const data = sample(n, n + 7);
      const packed = compress(type, data);
      expect(decompress(type, packed).equals(data)).toBe(true);
    });
  });

  it('names and parses compression.type values', () => {
    expect(ALL.map(compressionName)).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    expect(parseCompressionType('producer')).toBeNull();
    expect(parseCompressionType('uncompressed')).toBe(0);
    expect(parseCompressionType('ZSTD')).toBe(4);
    expect(errCode(() => parseCompressionType('brotli'))).toBe(76);
    expect(errCode(() => compress(5, Buffer.alloc(1)))).toBe(76);
    expect(errCode(() => decompress(7, Buffer.alloc(1)))).toBe(76);
  });

  it('gzip honours the level option', () => {
    const data = sample(100_000);
    const fast = compress(CompressionType.Gzip, data, { level: 1 });
    expect(zlib.gunzipSync(fast).equals(data)).toBe(true);
  });

  describe('snappy framing', () => {
    it('writes the xerial stream byte for byte (hand-checked layout)', () => {
      const out = compress(CompressionType.Snappy, Buffer.from('hello'));
      expect(out.toString('hex')).toBe(
        '82534e41505059' + '00' + // magic \x82SNAPPY\0
          '00000001' + '00000001' + // version 1, compatible version 1
          '00000007' + // chunk length
          '05' + '10' + Buffer.from('hello').toString('hex'), // raw block: uvarint 5, literal tag (5-1)<<2
      );
    });

    it('splits input into 32 KiB chunks like snappy-java', () => {
      const data = sample(3 * XERIAL_CHUNK_SIZE + 10);
      const out = compress(CompressionType.Snappy, data);
      let pos = 16;
      const sizes: number[] = [];
      while (pos < out.length) {
        const len = out.readUInt32BE(pos);
        const chunk = out.subarray(pos + 4, pos + 4 + len);
        sizes.push((snappyLib.uncompressSync(chunk) as Buffer).length);
        pos += 4 + len;
      }
      expect(pos).toBe(out.length);
      expect(sizes).toEqual([XERIAL_CHUNK_SIZE, XERIAL_CHUNK_SIZE, XERIAL_CHUNK_SIZE, 10]);
    });

    it('writes a bare raw block on request (librdkafka/kafkajs style)', () => {
      const data = sample(5000);
      const raw = compress(CompressionType.Snappy, data, { snappyRaw: true });
      expect(isXerialFramed(raw)).toBe(false);
      expect((snappyLib.uncompressSync(raw) as Buffer).equals(data)).toBe(true);
    });

    it('reads a hand-built raw block with a copy op', () => {
      // uvarint 12, literal "abcd" (tag (4-1)<<2), copy-1 of length 8 at offset 4 (tag ((8-4)<<2)|1, offset 4)
      const raw = Buffer.from([0x0c, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x11, 0x04]);
      expect(decompress(CompressionType.Snappy, raw).toString()).toBe('abcdabcdabcd');
    });

    it('reads hand-built xerial streams: several chunks, an empty chunk, and no chunk at all', () => {
      const header = Buffer.from('82534e415050590000000001' + '00000001', 'hex');
      const chunk = (s: string) => {
        const raw = snappyLib.compressSync(Buffer.from(s));
        const len = Buffer.alloc(4);
        len.writeUInt32BE(raw.length);
        return Buffer.concat([len, raw]);
      };
      const stream = Buffer.concat([header, chunk('first,'), Buffer.alloc(4), chunk('second')]);
      expect(decompress(CompressionType.Snappy, stream).toString()).toBe('first,second');
      expect(decompress(CompressionType.Snappy, header).length).toBe(0);
    });

    it('rejects a truncated xerial stream and garbage', () => {
      const out = compress(CompressionType.Snappy, sample(70_000));
      expect(errCode(() => decompress(CompressionType.Snappy, out.subarray(0, out.length - 3)))).toBe(2);
      expect(errCode(() => decompress(CompressionType.Snappy, out.subarray(0, 18)))).toBe(2);
      expect(errCode(() => decompress(CompressionType.Snappy, Buffer.from([0x05, 0xff, 0xff])))).toBe(2);
    });
  });

  describe('lz4 framing', () => {
    it('writes a frame Kafka Java and librdkafka accept: version 01, independent blocks, valid header checksum', () => {
      const data = sample(200_000);
      const out = compress(CompressionType.Lz4, data);
      expect(out.readUInt32LE(0)).toBe(0x184d2204);
      const flg = out[4];
      const bd = out[5];
      expect(flg >> 6).toBe(1); // version
      expect(flg & 0x20).toBe(0x20); // block independence
      expect(flg & 0x03).toBe(0); // no dict id, reserved bit clear
      expect((bd >> 4) & 7).toBeGreaterThanOrEqual(4);
      const descLen = 2 + (flg & 0x08 ? 8 : 0);
      expect(out[4 + descLen]).toBe((xxh32(out.subarray(4, 4 + descLen)) >>> 8) & 0xff);
      expect(lz4FrameBound(out)).toBeGreaterThanOrEqual(data.length);
    });

    it('reads frames laid out like Java KafkaLZ4BlockOutputStream (stored blocks), with and without content size', () => {
      const data = sample(150_000);
      expect(decompress(CompressionType.Lz4, handLz4Frame(data)).equals(data)).toBe(true);
      expect(decompress(CompressionType.Lz4, handLz4Frame(data, { contentSize: true, bd: 0x70, blockSize: 100_000 })).equals(data)).toBe(true);
      expect(lz4FrameBound(handLz4Frame(data))).toBe(data.length);
    });

    it('rejects truncated frames and bad magic with CORRUPT_MESSAGE', () => {
      const out = compress(CompressionType.Lz4, sample(100_000));
      for (const cut of [1, 4, 10, out.length - 7]) {
        expect(errCode(() => decompress(CompressionType.Lz4, out.subarray(0, out.length - cut)))).toBe(2);
      }
      const bad = Buffer.from(out);
      bad[0] ^= 1;
      expect(errCode(() => decompress(CompressionType.Lz4, bad))).toBe(2);
    });
  });

  describe('zstd framing', () => {
    it('reads a hand-built frame with a raw and an RLE block', () => {
      const frame = Buffer.from([
        0x28, 0xb5, 0x2f, 0xfd, // magic
        0x20, 15, // FHD: single segment, 1-byte content size = 15
        (5 << 3) | 0, 0, 0, ...Buffer.from('hello'), // raw block, not last
        (10 << 3) | (1 << 1) | 1, 0, 0, 0x78, // RLE block of 10 'x', last
      ]);
      expect(zstdFrameBound(frame)).toBe(15);
      expect(decompress(CompressionType.Zstd, frame).toString()).toBe('helloxxxxxxxxxx');
    });

    it('interoperates with the raw binding both ways', () => {
      const data = sample(123_456);
      expect(new ZstdDecoder().decodeSync(compress(CompressionType.Zstd, data)).equals(data)).toBe(true);
      expect(decompress(CompressionType.Zstd, new ZstdEncoder(1).encodeSync(data)).equals(data)).toBe(true);
      expect(decompress(CompressionType.Zstd, compress(CompressionType.Zstd, data, { level: 9 })).equals(data)).toBe(true);
    });

    it('rejects truncated frames with CORRUPT_MESSAGE', () => {
      const out = compress(CompressionType.Zstd, sample(100_000));
      for (const cut of [1, 3, 20, out.length - 6]) {
        expect(errCode(() => decompress(CompressionType.Zstd, out.subarray(0, out.length - cut)))).toBe(2);
      }
    });
  });

  describe('decompression bombs', () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61);

    it.each([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd])(
      'codec %i refuses output above maxOutputBytes with CORRUPT_MESSAGE',
      (type) => {
        const packed = compress(type, big);
        expect(packed.length).toBeLessThan(big.length / 20);
        expect(errCode(() => decompress(type, packed, { maxOutputBytes: 1024 * 1024 }))).toBe(2);
        expect(decompress(type, packed, { maxOutputBytes: big.length }).length).toBe(big.length);
      },
    );

    it('has a module-wide default cap of 256 MiB that can be changed', () => {
      expect(getMaxDecompressedBytes()).toBe(DEFAULT_MAX_DECOMPRESSED_BYTES);
      expect(DEFAULT_MAX_DECOMPRESSED_BYTES).toBe(256 * 1024 * 1024);
      const packed = compress(CompressionType.Gzip, big);
      setMaxDecompressedBytes(1024);
      try {
        expect(errCode(() => decompress(CompressionType.Gzip, packed))).toBe(2);
      } finally {
        setMaxDecompressedBytes(DEFAULT_MAX_DECOMPRESSED_BYTES);
      }
      expect(() => setMaxDecompressedBytes(0)).toThrow(RangeError);
    });

    it('refuses a 10 KiB zstd frame of RLE blocks claiming 288 MiB without decoding it', () => {
      const blocks: number[] = [];
      const n = 2304; // 2304 x 128 KiB = 288 MiB
      for (let i = 0; i < n; i++) {
        const hdr = ((128 * 1024) << 3) | (1 << 1) | (i === n - 1 ? 1 : 0);
        blocks.push(hdr & 0xff, (hdr >> 8) & 0xff, (hdr >> 16) & 0xff, 0);
      }
      const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, ...blocks]); // FHD 0, window 2^(10+11)
      expect(frame.length).toBeLessThan(10_000);
      expect(zstdFrameBound(frame)).toBe(n * 128 * 1024);
      expect(errCode(() => decompress(CompressionType.Zstd, frame))).toBe(2);
    });

    it('refuses an lz4 frame of repeated compressed blocks above the cap without decoding it', () => {
      const one = lz4Lib.compressFrameSync(Buffer.alloc(256 * 1024));
      // header (7 bytes: magic, FLG, BD, HC), one block, end mark
      const header = one.subarray(0, 7);
      const blockLen = one.readUInt32LE(7);
      const block = one.subarray(7, 7 + 4 + blockLen);
      const frame = Buffer.concat([header, ...Array(1100).fill(block), Buffer.alloc(4)]);
      expect(lz4FrameBound(frame)).toBeGreaterThan(DEFAULT_MAX_DECOMPRESSED_BYTES);
      expect(errCode(() => decompress(CompressionType.Lz4, frame))).toBe(2);
      // the same shape below the cap decodes
      const small = Buffer.concat([header, block, block, Buffer.alloc(4)]);
      expect(decompress(CompressionType.Lz4, small).length).toBe(512 * 1024);
    });

    it('refuses a snappy block whose length preamble lies', () => {
      // claims 1 GiB (uvarint 0x40000000) from 6 bytes
      expect(errCode(() => decompress(CompressionType.Snappy, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00])))).toBe(2);
      // claims 1000 bytes, holds a 1-byte literal
      expect(errCode(() => decompress(CompressionType.Snappy, Buffer.from([0xe8, 0x07, 0x00, 0x61])))).toBe(2);
    });
  });
});

describe('async compression', () => {
  it.each(ALL)('codec %i: async and sync forms interoperate', async (type) => {
    const data = sample(200_000, 3);
    expect((await decompressAsync(type, compress(type, data))).equals(data)).toBe(true);
    expect(decompress(type, await compressAsync(type, data)).equals(data)).toBe(true);
  });

  it.each([CompressionType.Gzip, CompressionType.Lz4, CompressionType.Zstd])('codec %i: async decompression is bounded and typed', async (type) => {
    const packed = compress(type, Buffer.alloc(4 << 20));
    await expect(decompressAsync(type, packed, { maxOutputBytes: 1 << 20 })).rejects.toMatchObject({ code: 2 });
    await expect(decompressAsync(type, packed.subarray(0, packed.length - 2))).rejects.toBeInstanceOf(KafkaProtocolError);
  });
});
