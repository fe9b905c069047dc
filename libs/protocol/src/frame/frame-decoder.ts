import { INVALID_REQUEST, KafkaProtocolError } from '../errors/kafka-protocol-error';

/**
 * Splits a byte stream into Kafka frames (int32 size prefix + payload) without any I/O of its own: feed it the
 * chunks a socket delivers, get back complete frames (without the prefix). A frame whose declared size is negative
 * or above `maxFrameSize` throws INVALID_REQUEST before anything is buffered for it (Kafka closes the connection).
 * Frames that arrive inside one chunk are returned as zero-copy slices.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameSize = 100 * 1024 * 1024) {}

  /** Bytes buffered towards the next frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let buf: Buffer;
    if (this.pendingBytes === 0) {
      buf = chunk;
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // Only join once the whole next frame is there (or the prefix is still incomplete and small).
      const head = this.peekSize();
      if (head === null || this.pendingBytes < head + 4) return frames;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let off = 0;
    while (buf.length - off >= 4) {
      const size = buf.readInt32BE(off);
      this.checkSize(size);
      if (buf.length - off - 4 < size) break;
      frames.push(buf.subarray(off + 4, off + 4 + size));
      off += 4 + size;
    }
    if (off < buf.length) {
      const rest = buf.subarray(off);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
    return frames;
  }

  private peekSize(): number | null {
    if (this.pendingBytes < 4) return null;
    const first = this.pending[0].length >= 4 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const size = first.readInt32BE(0);
    this.checkSize(size);
    return size;
  }

  private checkSize(size: number): void {
    if (size < 0 || size > this.maxFrameSize) {
      throw new KafkaProtocolError(INVALID_REQUEST, `Frame size ${size} is outside [0, ${this.maxFrameSize}]`);
    }
  }

  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
