// Read buffers, reused when the caller hands them back (ReadResult.release) so steady fetch traffic does not churn
// external memory. Buffers never handed back are simply garbage collected.

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private held = 0;

  constructor(
    /** Total bytes kept on the free lists. */
    readonly maxPooledBytes = 64 * 1024 * 1024,
    readonly minSize = 64 * 1024,
  ) {}

  /** A buffer of at least `size` bytes (power-of-two classes from minSize). */
  get(size: number): Buffer {
    const cls = this.classOf(size);
    const list = this.free.get(cls);
    const b = list?.pop();
    if (b) {
      this.held -= b.length;
      return b;
    }
    return Buffer.allocUnsafeSlow(cls);
  }

  put(buf: Buffer): void {
    const cls = buf.length;
    if (cls !== this.classOf(cls) || this.held + cls > this.maxPooledBytes) return;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buf);
    this.held += cls;
  }

  get pooledBytes(): number {
    return this.held;
  }

  private classOf(size: number): number {
    let c = this.minSize;
    while (c < size) c *= 2;
    return c;
  }
}

/**
 * Caps concurrent thread-pool reads. libuv has 4 threads by default; reads of cold data can hold them for a while,
 * and large appends and fsyncs need them too, so reads get at most `max` (default 2) and queue beyond that.
 */
export class IoGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max = 2) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
