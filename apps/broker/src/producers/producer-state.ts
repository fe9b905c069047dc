// Idempotent-producer bookkeeping per (producerId, partition), as Kafka's ProducerStateManager does:
// the producer's current epoch and the metadata of its last 5 batches, so that a retried batch is recognised
// (answered with its original offset) and a gap or reorder is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
// State is rebuilt from the log (batch headers only) the first time a partition sees an idempotent batch.
import { ErrorCode } from '@runnel/protocol';

/** Kafka keeps the metadata of the last 5 batches per producer (max.in.flight for idempotence). */
export const BATCH_WINDOW = 5;
const INT32_MAX = 2147483647;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

export interface ProducerEntry {
  epoch: number;
  /** Broker time of the last batch recorded (for producer.id.expiration.ms). */
  lastSeenMs: number;
  /** Oldest first, at most BATCH_WINDOW. */
  batches: BatchMetadata[];
}

/** What the idempotence check decided for one incoming batch. */
export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; errorCode: number; message: string };

export interface BatchHeader {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
}

/** Sequence numbers wrap at Int32.MAX_VALUE. */
export function nextSequence(seq: number, delta: number): number {
  const n = seq + delta;
  return n > INT32_MAX ? n - INT32_MAX - 1 : n;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** The state of every producer for one partition. */
export class PartitionProducerState {
  readonly producers = new Map<number, ProducerEntry>();
  /** True once the state reflects the whole local log (rebuild done). */
  loaded = false;

  /** Decide what to do with an incoming batch of a producer (producerId >= 0). Does not change state. */
  check(h: BatchHeader): SequenceCheck {
    const entry = this.producers.get(h.producerId);
    const lastSeq = nextSequence(h.baseSequence, h.lastOffsetDelta);
    if (!entry) {
      // No state (new producer, or its batches were all removed by retention/DeleteRecords): like Kafka, accept
      // any sequence.
      return { kind: 'append' };
    }
    if (h.producerEpoch < entry.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${h.producerId} epoch ${h.producerEpoch} is older than the current epoch ${entry.epoch}`,
      };
    }
    if (h.producerEpoch > entry.epoch) {
      // A bumped epoch restarts the sequence at 0.
      if (h.baseSequence !== 0) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `invalid sequence ${h.baseSequence} for new epoch ${h.producerEpoch} of producer ${h.producerId} (expected 0)`,
        };
      }
      return { kind: 'append' };
    }
    for (const b of entry.batches) {
      if (b.firstSeq === h.baseSequence && b.lastSeq === lastSeq) return { kind: 'duplicate', batch: b };
    }
    const last = entry.batches[entry.batches.length - 1];
    if (last && !inSequence(last.lastSeq, h.baseSequence)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `out of order sequence ${h.baseSequence} for producer ${h.producerId} (last was ${last.lastSeq})`,
      };
    }
    return { kind: 'append' };
  }

  /** Record a batch that is now in the log (after an append, or while scanning the log). */
  record(h: BatchHeader, firstOffset: number, timestamp: number): void {
    let entry = this.producers.get(h.producerId);
    if (!entry || h.producerEpoch > entry.epoch) {
      entry = { epoch: h.producerEpoch, batches: [], lastSeenMs: Date.now() };
      this.producers.set(h.producerId, entry);
    } else if (h.producerEpoch < entry.epoch) {
      return; // an older epoch in the log (fenced writer): keeps nothing
    }
    entry.lastSeenMs = Date.now();
    entry.batches.push({
      firstSeq: h.baseSequence,
      lastSeq: nextSequence(h.baseSequence, h.lastOffsetDelta),
      firstOffset,
      lastOffset: firstOffset + h.lastOffsetDelta,
      timestamp,
    });
    if (entry.batches.length > BATCH_WINDOW) entry.batches.shift();
  }

  /** Drop producers not seen since `olderThanMs` (broker time); returns how many were dropped. */
  expire(olderThanMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.lastSeenMs < olderThanMs) {
        this.producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  /** Forget batches below a new log start offset (DeleteRecords / retention); producers with none left go. */
  truncateHead(logStartOffset: number): void {
    for (const [pid, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset >= logStartOffset);
      if (e.batches.length === 0) this.producers.delete(pid);
    }
  }
}

/** Producer states of every local partition. */
export class ProducerStateManager {
  private readonly byPartition = new Map<string, PartitionProducerState>();

  forPartition(key: string): PartitionProducerState {
    let s = this.byPartition.get(key);
    if (!s) {
      s = new PartitionProducerState();
      this.byPartition.set(key, s);
    }
    return s;
  }

  drop(key: string): void {
    this.byPartition.delete(key);
  }

  /** Forget producers idle for longer than producer.id.expiration.ms (Kafka's default: one day). */
  expire(expirationMs: number, now = Date.now()): number {
    let n = 0;
    for (const s of this.byPartition.values()) n += s.expire(now - expirationMs);
    return n;
  }

  /** Number of producers tracked across partitions (metrics). */
  producerCount(): number {
    let n = 0;
    for (const s of this.byPartition.values()) n += s.producers.size;
    return n;
  }
}
