// One client TCP connection: Kafka framing (int32 size prefix), pipelined requests answered strictly in order,
// responses written as chunk lists (one writev, stored record Buffers are never copied), backpressure (stop
// reading while too many requests are in flight or unsent response bytes pile up), idle timeout, and closing
// this connection only (with a log line) when a client sends something the broker cannot make sense of.
import type { Socket } from 'node:net';
import type { Logger } from '../util/logger';

/** Response chunks (size prefix included); `afterWrite` runs once the socket took the last byte, or on close. */
export type ResponseChunks = Buffer[] & { afterWrite?: () => void };
export type FrameResult = ResponseChunks | null;

export interface FrameHandler {
  /**
   * Called once per complete frame (without the size prefix), in arrival order and synchronously, so that work
   * which must follow request order (appends) can start before any await. Resolve to the response chunks
   * (size prefix included) or null for "no response" (acks=0). Throwing/rejecting closes the connection.
   */
  (frame: Buffer, conn: Connection): Promise<FrameResult> | FrameResult;
}

export interface ConnectionOptions {
  readonly id: number;
  readonly listener: string;
  /** socket.request.max.bytes: a larger size prefix closes the connection before any of it is buffered. */
  readonly maxRequestBytes: number;
  /** connections.max.idle.ms (<= 0 disables). */
  readonly idleTimeoutMs: number;
  /** Stop reading while this many requests are unanswered. */
  readonly maxInFlight?: number;
  /** Stop reading while this many response bytes wait in the socket's buffer. */
  readonly maxQueuedResponseBytes?: number;
  readonly log: Logger;
  readonly onClose?: (conn: Connection, reason: string) => void;
  /** Called after each response was handed to the socket (bytes includes the size prefix). */
  readonly onResponseWritten?: (bytes: number) => void;
}

const EMPTY = Buffer.alloc(0);
const SLOW_READER_BYTES = 1024 * 1024;

function runSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* a release hook must not break the connection */
  }
}

interface Slot {
  done: boolean;
  chunks: FrameResult;
}

export class Connection {
  readonly remote: string;
  /** Aborted when the connection closes: long-polls waiting on behalf of this client give up. */
  private readonly abort = new AbortController();
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private buffered = 0;
  private readonly slots: Slot[] = [];
  private inFlight = 0;
  private paused = false;
  private closedReason: string | null = null;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;

  constructor(
    readonly socket: Socket,
    private readonly handler: FrameHandler,
    private readonly opts: ConnectionOptions,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    // Kafka handles one request per connection at a time; we pipeline, but bound what one connection can make the
    // broker hold: requests being served, and response bytes the client has not read yet.
    this.maxInFlight = opts.maxInFlight ?? 32;
    this.maxQueued = opts.maxQueuedResponseBytes ?? 8 * 1024 * 1024;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => {
      // Resets from clients going away are normal; anything else is worth a debug line.
      this.opts.log.debug(`connection ${this.id} ${this.remote}: socket error ${err.message}`);
      this.close('socket-error');
    });
    socket.on('close', () => this.close('client-closed'));
    socket.on('end', () => {
      // Half-close from the client: finish writing what is pending, then close.
      if (this.inFlight === 0) this.close('client-closed');
    });
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs, () => {
        if (this.inFlight === 0) {
          this.opts.log.debug(`connection ${this.id} ${this.remote} idle for ${opts.idleTimeoutMs} ms: closing`);
          this.close('idle');
        }
      });
    }
  }

  get id(): number {
    return this.opts.id;
  }

  get listener(): string {
    return this.opts.listener;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Requests received and not yet answered. */
  get pendingRequests(): number {
    return this.inFlight;
  }

  /** Close this connection (idempotent). `error` reasons destroy the socket at once. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.abort.abort();
    this.chunks = [];
    this.buffered = 0;
    for (const slot of this.slots) if (slot.chunks?.afterWrite) runSafely(slot.chunks.afterWrite);
    this.slots.length = 0;
    if (reason === 'shutdown' || reason === 'idle') {
      this.socket.end();
      // Don't wait forever on a client that stops reading.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.opts.onClose?.(this, reason);
  }

  private onData(data: Buffer): void {
    if (this.closedReason !== null) return;
    this.chunks.push(data);
    this.buffered += data.length;
    try {
      this.drainFrames();
    } catch (err) {
      // Whatever goes wrong while cutting frames stays with this connection.
      this.fail(err);
    }
  }

  /** Cut every complete frame out of the buffered chunks (stops while paused). */
  private drainFrames(): void {
    while (!this.paused && this.closedReason === null && this.buffered >= 4) {
      const size = this.peekInt32();
      if (size < 0 || size > this.opts.maxRequestBytes) {
        this.opts.log.warn(
          `connection ${this.id} ${this.remote}: request size ${size} is ${size < 0 ? 'negative' : `larger than socket.request.max.bytes (${this.opts.maxRequestBytes})`}; closing the connection`,
        );
        this.close('oversized-frame');
        return;
      }
      if (this.buffered < 4 + size) return; // wait for the rest; no copying until it's whole
      this.consume(4);
      const frame = this.consume(size);
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, chunks: null };
    this.slots.push(slot);
    this.inFlight++;
    if (this.inFlight >= this.inFlightLimit()) this.pause();
    let result: Promise<FrameResult> | FrameResult;
    try {
      result = this.handler(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result && typeof (result as Promise<FrameResult>).then === 'function') {
      (result as Promise<FrameResult>).then(
        (chunks) => this.complete(slot, chunks),
        (err) => this.fail(err),
      );
    } else {
      this.complete(slot, result as FrameResult);
    }
  }

  private fail(err: unknown): void {
    if (this.closedReason !== null) return;
    const msg = err instanceof Error ? err.message : String(err);
    this.opts.log.warn(`connection ${this.id} ${this.remote}: closing after a request failed: ${msg}`);
    this.close('bad-request');
  }

  private complete(slot: Slot, chunks: FrameResult): void {
    if (this.closedReason !== null) {
      if (chunks?.afterWrite) runSafely(chunks.afterWrite);
      return;
    }
    slot.done = true;
    slot.chunks = chunks;
    this.inFlight--;
    this.flush();
    this.maybeResume();
    if (this.inFlight === 0 && this.socket.readableEnded) this.close('client-closed');
  }

  /** Write every finished response at the head of the queue, in request order, as one corked writev. */
  private flush(): void {
    if (this.slots.length === 0 || !this.slots[0].done) return;
    const socket = this.socket;
    socket.cork();
    while (this.slots.length > 0 && this.slots[0].done) {
      const slot = this.slots.shift()!;
      const chunks = slot.chunks;
      if (!chunks) continue;
      let bytes = 0;
      const after = chunks.afterWrite;
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks[i];
        const last = i === chunks.length - 1;
        if (c.length === 0 && !(last && after)) continue;
        if (last && after) socket.write(c, () => runSafely(after));
        else socket.write(c);
        bytes += c.length;
      }
      this.opts.onResponseWritten?.(bytes);
    }
    // uncork on the next tick lets responses finished in the same tick share one writev.
    process.nextTick(() => socket.uncork());
    if (socket.writableLength >= this.maxQueued) this.pause();
  }

  /**
   * A client that keeps up may pipeline up to maxInFlight requests; once its unread responses pass 1 MiB, only a
   * few more are started, so a client that stops reading cannot make the broker build dozens of large responses.
   */
  private inFlightLimit(): number {
    return this.socket.writableLength > SLOW_READER_BYTES ? Math.min(this.maxInFlight, 4) : this.maxInFlight;
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closedReason !== null) return;
    if (this.inFlight >= this.inFlightLimit() || this.socket.writableLength >= this.maxQueued) return;
    this.paused = false;
    this.socket.resume();
    try {
      this.drainFrames();
    } catch (err) {
      this.fail(err);
    }
  }

  private peekInt32(): number {
    const first = this.chunks[0];
    if (first.length - this.head >= 4) return first.readInt32BE(this.head);
    const tmp = Buffer.allocUnsafe(4);
    let filled = 0;
    let off = this.head;
    for (const c of this.chunks) {
      const n = Math.min(4 - filled, c.length - off);
      c.copy(tmp, filled, off, off + n);
      filled += n;
      off = 0;
      if (filled === 4) break;
    }
    return tmp.readInt32BE(0);
  }

  /** Take n buffered bytes: a zero-copy slice when they sit in one chunk, else one copy of exactly n bytes. */
  private consume(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.buffered -= n;
    const first = this.chunks[0];
    const avail = first.length - this.head;
    if (avail >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const take = Math.min(n - filled, c.length - this.head);
      c.copy(out, filled, this.head, this.head + take);
      filled += take;
      this.head += take;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return out;
  }
}
