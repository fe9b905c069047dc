import * as net from 'node:net';

/**
 * Hand-built Kafka frames and a raw connection for hostile-input tests. Deliberately independent of
 * libs/protocol so these tests judge the broker, not our own codec.
 */

export class FrameWriter {
  private parts: Buffer[] = [];

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }

  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }

  uvarint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }

  compactString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Request header v1 (+ an empty tag buffer for v2) followed by the body, with the size prefix. */
export function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, opts: { headerV2?: boolean; clientId?: string | null } = {}): Buffer {
  const h = new FrameWriter().int16(apiKey).int16(apiVersion).int32(correlationId).string(opts.clientId === undefined ? 'hostile' : opts.clientId);
  if (opts.headerV2) h.uvarint(0);
  const payload = Buffer.concat([h.toBuffer(), body]);
  return Buffer.concat([new FrameWriter().int32(payload.length).toBuffer(), payload]);
}

export const apiVersionsV0 = (corr: number) => frame(18, 0, corr, Buffer.alloc(0));
export const apiVersionsV3 = (corr: number) =>
  frame(18, 3, corr, new FrameWriter().compactString('runnel-hostile').compactString('1.0').uvarint(0).toBuffer(), { headerV2: true });
/** Metadata v0 with an empty topic list (kafka-python's probe: "all topics" in v0). */
export const metadataV0 = (corr: number) => frame(3, 0, corr, new FrameWriter().int32(0).toBuffer());
export const metadataV4 = (corr: number, topics: string[] | null, autoCreate = false) => {
  const w = new FrameWriter();
  if (topics === null) w.int32(-1);
  else {
    w.int32(topics.length);
    for (const t of topics) w.string(t);
  }
  w.int8(autoCreate ? 1 : 0);
  return frame(3, 4, corr, w.toBuffer());
};
/** ListOffsets v1 for one partition (latest). */
export const listOffsetsV1 = (corr: number, topic: string) =>
  frame(2, 1, corr, new FrameWriter().int32(-1).int32(1).string(topic).int32(1).int32(0).int64(-1n).toBuffer());

/** Fetch v4 for one partition from `offset`, answering at once (max_wait 0), up to `maxBytes`. */
export const fetchV4 = (corr: number, topic: string, offset: bigint, maxBytes: number, opts: { maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number } = {}) =>
  frame(
    1,
    4,
    corr,
    new FrameWriter()
      .int32(-1)
      .int32(opts.maxWaitMs ?? 0)
      .int32(opts.minBytes ?? 0)
      .int32(maxBytes)
      .int8(0)
      .int32(1)
      .string(topic)
      .int32(1)
      .int32(0)
      .int64(offset)
      .int32(opts.partitionMaxBytes ?? maxBytes)
      .toBuffer(),
  );

/** Fetch v4 response for one partition: error code, high watermark and the size of the records. */
export function parseFetchV4(body: Buffer): { errorCode: number; highWatermark: bigint; recordBytes: number } {
  let o = 4 + 4; // correlation id, throttle time
  o += 4; // topic count (1)
  o += 2 + body.readInt16BE(o); // topic name
  o += 4; // partition count (1)
  o += 4; // partition index
  const errorCode = body.readInt16BE(o);
  o += 2;
  const highWatermark = body.readBigInt64BE(o);
  o += 8 + 8; // high watermark, last stable offset
  const aborted = body.readInt32BE(o);
  o += 4 + (aborted > 0 ? aborted * 16 : 0);
  const recordBytes = body.readInt32BE(o);
  return { errorCode, highWatermark, recordBytes: Math.max(0, recordBytes) };
}

export interface Observed {
  /** Complete response frames received (without size prefix). */
  responses: Buffer[];
  /** The broker closed (or reset) the connection. */
  closed: boolean;
  /** Leftover bytes that don't form a complete frame. */
  partial: number;
}

/**
 * Opens a connection, writes `chunks` (optionally ending our side), and collects response frames
 * until `expectResponses` arrived, the broker closes, or `waitMs` passes.
 */
export function exchange(port: number, chunks: Buffer[], opts: { waitMs?: number; expectResponses?: number; end?: boolean } = {}): Promise<Observed> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const responses: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ responses, closed, partial: buf.length });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 3000);
    sock.on('connect', () => {
      for (const c of chunks) sock.write(c);
      if (opts.end) sock.end();
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4) {
        const size = buf.readInt32BE(0);
        if (size < 0 || buf.length < 4 + size) break;
        responses.push(buf.subarray(4, 4 + size));
        buf = buf.subarray(4 + size);
      }
      if (opts.expectResponses !== undefined && responses.length >= opts.expectResponses) finish(false);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
  });
}

/** A seeded PRNG (mulberry32) so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
