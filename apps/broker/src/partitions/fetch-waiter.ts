// Long-poll support for Fetch: park a request until enough bytes were appended to the partitions it reads,
// its max_wait_ms passes, or something about a partition changed (leadership, deletion) so it must answer now.
import type { Partition } from './partition';

export interface WaitOptions {
  /** Bytes already available when the fetch first looked. */
  readonly bytesAvailable: number;
  readonly minBytes: number;
  readonly maxWaitMs: number;
  /** Aborted when the connection closes or the broker shuts down. */
  readonly signal?: AbortSignal;
  /**
   * What counts as new data: 'visible' (the high watermark moved: consumers) or 'append' (the log grew: follower
   * replicas, which read up to the log end).
   */
  readonly event?: 'visible' | 'append';
}

export type WaitOutcome = 'data' | 'timeout' | 'changed' | 'aborted';

export class FetchWaiter {
  private readonly pending = new Set<() => void>();
  private closed = false;

  /** Number of parked fetches (metrics). */
  get size(): number {
    return this.pending.size;
  }

  wait(partitions: readonly Partition[], opts: WaitOptions): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve('aborted');
    if (opts.maxWaitMs <= 0 || partitions.length === 0) return Promise.resolve('timeout');
    const event = opts.event ?? 'visible';
    return new Promise<WaitOutcome>((resolve) => {
      let accumulated = opts.bytesAvailable;
      let done = false;
      const finish = (outcome: WaitOutcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const p of partitions) p.events.off(event, onAppend);
        opts.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(onAbort);
        resolve(outcome);
      };
      const onAppend = (bytes: number, poke?: boolean): void => {
        if (poke) return finish('changed');
        accumulated += bytes;
        if (accumulated >= opts.minBytes) finish('data');
      };
      const onAbort = (): void => finish('aborted');
      const timer = setTimeout(() => finish('timeout'), opts.maxWaitMs);
      for (const p of partitions) p.events.on(event, onAppend);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(onAbort);
    });
  }

  /** Answer every parked fetch now (shutdown). */
  close(): void {
    this.closed = true;
    for (const abort of [...this.pending]) abort();
  }
}
