// One local replica of a topic partition: its log plus the leadership facts from the metadata image.
// Appends go through here so fetch waiters are woken and the high watermark moves.
import { EventEmitter } from 'node:events';
import type { AppendResult, PartitionLog } from '@runnel/storage';
import type { PartitionImage } from '@runnel/metadata';


export class Partition {
  leader = -1;
  leaderEpoch = 0;
  partitionEpoch = 0;
  replicas: readonly number[] = [];
  isr: readonly number[] = [];
  /** Emits 'append' (bytes, poke?) after each successful append, and on state changes (fetch long-polls listen). */
  readonly events = new EventEmitter();
  private hwm: number;
  /** Tail of the per-partition append queue (see exclusive()). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    public topicId: string,
    readonly log: PartitionLog,
    private readonly nodeId: number,
  ) {
    this.events.setMaxListeners(0);
    // Single-replica partitions: everything in the log is committed. With followers this moves with their fetches.
    this.hwm = log.logEndOffset;
  }

  get key(): string {
    return `${this.topic}-${this.partition}`;
  }

  isLeader(): boolean {
    return this.leader === this.nodeId;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get highWatermark(): number {
    // Never report a HWM past the log end (e.g. after truncation) nor before the log start.
    const leo = this.log.logEndOffset;
    return Math.max(this.log.logStartOffset, Math.min(this.hwm, leo));
  }

  /** Last stable offset: no transactions yet, so it equals the high watermark. */
  get lastStableOffset(): number {
    return this.highWatermark;
  }

  /** Apply the partition's state from the metadata image. */
  updateFromImage(p: PartitionImage, topicId: string): void {
    this.topicId = topicId;
    this.leader = p.leader;
    this.leaderEpoch = p.leaderEpoch;
    this.partitionEpoch = p.partitionEpoch;
    this.replicas = p.replicas;
    this.isr = p.isr;
    this.advanceHighWatermark();
  }

  /** In-sync replicas other than this node: none on a single node, so the HWM follows the log end. */
  private advanceHighWatermark(): void {
    const others = this.isr.filter((id) => id !== this.nodeId);
    if (others.length === 0) {
      const leo = this.log.logEndOffset;
      if (leo !== this.hwm) this.hwm = leo;
    }
  }

  /**
   * Append one or more validated v2 batches as leader. Base offsets and leader epochs are patched in place by the
   * log (outside the CRC), nothing else is rewritten.
   */
  async appendAsLeader(records: Buffer): Promise<AppendResult> {
    const res = await this.log.append(records, { leaderEpoch: this.leaderEpoch, assignOffsets: true });
    this.advanceHighWatermark();
    this.events.emit('append', records.length);
    return res;
  }

  /**
   * Run `fn` after every earlier exclusive() call on this partition finished. Produce uses it so that the
   * idempotence check, the append and the producer-state update happen as one step, in request order.
   */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Wake fetch waiters without an append (e.g. leadership or log start changes). */
  poke(): void {
    this.events.emit('append', 0, true);
  }
}
