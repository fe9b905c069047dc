// One local replica of a topic partition: its log plus the leadership facts from the metadata image.
// As leader it tracks each follower's fetch position, moves the high watermark to the smallest log end over the
// ISR, asks the controller to shrink or expand the ISR (AlterPartition), and completes acks=all waits. As follower
// it takes batches from the replica fetcher and keeps the high watermark the leader reports.
import { EventEmitter } from 'node:events';
import { ErrorCode, KafkaProtocolError } from '@runnel/protocol';
import type { AppendResult, PartitionLog } from '@runnel/storage';
import type { PartitionImage } from '@runnel/metadata';

/** What the partition needs from the broker around it. */
export interface PartitionEnv {
  readonly nodeId: number;
  /** The topic's effective min.insync.replicas. */
  minInsyncReplicas(): number;
  /** Whether a broker may join an ISR (registered, unfenced, not shutting down). */
  brokerUsable(id: number): boolean;
  /** Send AlterPartition for this partition; resolves with the committed state, or null when it was refused/failed. */
  alterIsr(p: Partition, newIsr: number[]): Promise<IsrState | null>;
  /** The local log was cut or this replica changed role: cached producer state must be rebuilt. */
  onLogRewritten(p: Partition): void;
  now(): number;
}

export interface IsrState {
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

export type CommitOutcome = 'committed' | 'not-leader' | 'not-enough-replicas' | 'timeout' | 'aborted';

interface FollowerState {
  /** Log end offset the follower reported with its last fetch (-1 before any). */
  leo: number;
  lastFetchMs: number;
  /** Leader's log end at the follower's previous fetch (Kafka's rule for lastCaughtUpTime). */
  leaderEndAtLastFetch: number;
  lastCaughtUpMs: number;
}

interface CommitWaiter {
  offset: number;
  resolve(outcome: CommitOutcome): void;
}

/** Bounded list of (end offset, bytes) per append: how many bytes become visible when the high watermark moves. */
const MAX_APPEND_MARKS = 4096;
/** Pause between ISR change attempts the controller refused or never answered. */
const ISR_RETRY_BACKOFF_MS = 500;

export class Partition {
  leader = -1;
  leaderEpoch = 0;
  partitionEpoch = 0;
  replicas: readonly number[] = [];
  isr: readonly number[] = [];
  /**
   * Events: 'append' (bytes) after every log append, which follower fetches wait for; 'visible' (bytes) when the
   * high watermark moves, which consumer fetches wait for; both with (0, true) on state changes (poke).
   */
  readonly events = new EventEmitter();
  private hwm: number;
  /** Tail of the per-partition append queue (see exclusive()). */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly followers = new Map<number, FollowerState>();
  /** ISR sent to the controller and not yet seen committed; while set no other change is sent. */
  private pendingIsr: readonly number[] | null = null;
  private pendingSince = 0;
  /** After a refused or failed change, no new one before this time (or before the metadata moves on). */
  private isrRetryAfter = 0;
  /** First offset of the current leader epoch on this leader (a follower joins the ISR only past it). */
  private leaderEpochStartOffset = -1;
  private waiters: CommitWaiter[] = [];
  private appendMarks: Array<{ end: number; bytes: number }> = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    public topicId: string,
    readonly log: PartitionLog,
    private readonly env: PartitionEnv,
    /** High watermark from the replication-offset checkpoint, if any. */
    initialHighWatermark = -1,
  ) {
    this.events.setMaxListeners(0);
    this.hwm = initialHighWatermark >= 0 ? initialHighWatermark : log.logStartOffset;
  }

  get key(): string {
    return `${this.topic}-${this.partition}`;
  }

  isLeader(): boolean {
    return this.leader === this.env.nodeId;
  }

  /** A replica that follows a live leader (the replica fetcher serves it). */
  isFollower(): boolean {
    return this.leader >= 0 && this.leader !== this.env.nodeId && this.replicas.includes(this.env.nodeId);
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

  /** The ISR the high watermark is computed over: the committed one plus a change still in flight (Kafka's "maximal ISR"). */
  get maximalIsr(): readonly number[] {
    if (!this.pendingIsr) return this.isr;
    return [...new Set([...this.isr, ...this.pendingIsr])];
  }

  get underReplicated(): boolean {
    return this.isLeader() && this.isr.length < this.replicas.length;
  }

  get underMinIsr(): boolean {
    return this.isLeader() && this.isr.length < this.env.minInsyncReplicas();
  }

  /** Largest lag (offsets) of a replica behind this leader's log end, for metrics. */
  maxFollowerLag(): number {
    if (!this.isLeader()) return 0;
    const leo = this.log.logEndOffset;
    let lag = 0;
    for (const id of this.replicas) {
      if (id === this.env.nodeId) continue;
      const f = this.followers.get(id);
      lag = Math.max(lag, leo - (f && f.leo >= 0 ? f.leo : this.log.logStartOffset));
    }
    return lag;
  }

  /** Apply the partition's state from the metadata image. */
  updateFromImage(p: PartitionImage, topicId: string): void {
    const wasLeader = this.isLeader();
    const previousEpoch = this.leaderEpoch;
    this.topicId = topicId;
    this.leader = p.leader;
    this.leaderEpoch = p.leaderEpoch;
    this.replicas = p.replicas;
    // An AlterPartition answer may already have brought a newer ISR than this (older) image entry; an equal epoch
    // is the same state applied again and leaves a change in flight alone.
    if (p.partitionEpoch > this.partitionEpoch || p.leaderEpoch !== previousEpoch) {
      this.partitionEpoch = p.partitionEpoch;
      this.isr = p.isr;
      this.pendingIsr = null;
      this.isrRetryAfter = 0;
    } else if (p.partitionEpoch === this.partitionEpoch) {
      this.isr = p.isr;
    }
    if (this.isLeader() && (!wasLeader || previousEpoch !== this.leaderEpoch)) this.becomeLeader();
    else if (!this.isLeader() && wasLeader) this.becomeFollower();
    this.maybeAdvanceHighWatermark();
    this.settleWaiters();
  }

  private becomeLeader(): void {
    const now = this.env.now();
    const leo = this.log.logEndOffset;
    // Kafka records the new epoch at the log end right away, so followers' divergence checks see it before any append.
    this.log.epochs.assign(this.leaderEpoch, leo);
    this.leaderEpochStartOffset = leo;
    this.followers.clear();
    // ISR members get a full replica.lag.time.max.ms to show up before they count as lagging.
    for (const id of this.replicas) {
      if (id !== this.env.nodeId) this.followers.set(id, { leo: -1, lastFetchMs: 0, leaderEndAtLastFetch: -1, lastCaughtUpMs: this.isr.includes(id) ? now : 0 });
    }
    this.pendingIsr = null;
    this.appendMarks = [];
    this.env.onLogRewritten(this);
  }

  private becomeFollower(): void {
    this.followers.clear();
    this.pendingIsr = null;
    this.leaderEpochStartOffset = -1;
    this.appendMarks = [];
    this.env.onLogRewritten(this);
  }

  /**
   * Append one or more validated v2 batches as leader. Base offsets and leader epochs are patched in place by the
   * log (outside the CRC), nothing else is rewritten.
   */
  async appendAsLeader(records: Buffer): Promise<AppendResult> {
    // Queued appends run after a leadership change that came in meanwhile: they must not land as a follower.
    if (!this.isLeader()) throw new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `no longer the leader of ${this.key}`);
    const res = await this.log.append(records, { leaderEpoch: this.leaderEpoch, assignOffsets: true });
    this.noteAppend(res.lastOffset + 1, records.length);
    this.maybeAdvanceHighWatermark();
    return res;
  }

  /**
   * Append batches fetched from the leader as they are (offsets and epochs kept). Returns null, appending nothing,
   * when this replica no longer follows that leader epoch (the fetch answered before a leadership change).
   */
  async appendAsFollower(records: Buffer, leaderEpoch: number): Promise<AppendResult | null> {
    if (!this.isFollower() || this.leaderEpoch !== leaderEpoch) return null;
    const res = await this.log.append(records, { assignOffsets: false });
    this.events.emit('append', records.length);
    return res;
  }

  /** Follower: the leader's high watermark, bounded by what this replica holds. */
  updateFollowerHighWatermark(leaderHwm: number): void {
    const next = Math.min(leaderHwm, this.log.logEndOffset);
    if (next > this.hwm) this.hwm = next;
  }

  /** Follower: cut a diverged tail. */
  async truncateTo(offset: number): Promise<void> {
    await this.log.truncateTo(offset);
    if (this.hwm > offset) this.hwm = offset;
    this.env.onLogRewritten(this);
  }

  /** Follower far behind the leader's log start: start over at it. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.log.truncateFullyAndStartAt(offset);
    this.hwm = offset;
    this.env.onLogRewritten(this);
  }

  /**
   * Leader: a follower fetched from `fetchOffset` (= its log end). Updates its caught-up time the way Kafka does
   * (caught up now if it reached our log end, or as of its previous fetch if it reached what our end was then),
   * then tries to add it to the ISR and to move the high watermark.
   */
  recordFollowerFetch(replicaId: number, fetchOffset: number): void {
    if (!this.isLeader()) return;
    const now = this.env.now();
    let f = this.followers.get(replicaId);
    if (!f) {
      f = { leo: -1, lastFetchMs: 0, leaderEndAtLastFetch: -1, lastCaughtUpMs: 0 };
      this.followers.set(replicaId, f);
    }
    const leo = this.log.logEndOffset;
    if (fetchOffset >= leo) f.lastCaughtUpMs = now;
    else if (f.leaderEndAtLastFetch >= 0 && fetchOffset >= f.leaderEndAtLastFetch) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.leo = fetchOffset;
    f.leaderEndAtLastFetch = leo;
    f.lastFetchMs = now;
    this.maybeExpandIsr(replicaId, f);
    this.maybeAdvanceHighWatermark();
  }

  /** Leader: drop ISR members that have not caught up for `lagTimeMs` (replica.lag.time.max.ms). */
  maybeShrinkIsr(lagTimeMs: number): void {
    const now = this.env.now();
    if (!this.isLeader() || this.pendingIsr || now < this.isrRetryAfter) return;
    const lagging = this.isr.filter((id) => {
      if (id === this.env.nodeId) return false;
      const f = this.followers.get(id);
      return !f || now - f.lastCaughtUpMs > lagTimeMs;
    });
    if (lagging.length === 0) return;
    this.requestIsr(this.isr.filter((id) => !lagging.includes(id)));
  }

  /** A change sent long ago that never got an answer (controller lost it): allow another. */
  expireStuckIsrChange(timeoutMs: number): void {
    if (this.pendingIsr && this.env.now() - this.pendingSince > timeoutMs) this.pendingIsr = null;
  }

  private maybeExpandIsr(id: number, f: FollowerState): void {
    if (this.pendingIsr || this.isr.includes(id) || !this.replicas.includes(id) || this.env.now() < this.isrRetryAfter) return;
    if (f.leo < this.highWatermark || f.leo < this.leaderEpochStartOffset) return;
    if (!this.env.brokerUsable(id)) return;
    this.requestIsr([...this.isr, id]);
  }

  private requestIsr(newIsr: number[]): void {
    const sentAtEpoch = this.leaderEpoch;
    const sentAtPartitionEpoch = this.partitionEpoch;
    this.pendingIsr = newIsr;
    this.pendingSince = this.env.now();
    void this.env.alterIsr(this, newIsr).then(
      (state) => {
        if (this.leaderEpoch !== sentAtEpoch) return;
        if (state && state.leaderEpoch === this.leaderEpoch && state.partitionEpoch > this.partitionEpoch) {
          this.isr = state.isr;
          this.partitionEpoch = state.partitionEpoch;
        }
        if (this.partitionEpoch !== sentAtPartitionEpoch || !state) this.pendingIsr = null;
        if (!state) this.isrRetryAfter = this.env.now() + ISR_RETRY_BACKOFF_MS;
        this.maybeAdvanceHighWatermark();
        this.settleWaiters();
      },
      () => {
        if (this.leaderEpoch !== sentAtEpoch) return;
        this.pendingIsr = null;
        this.isrRetryAfter = this.env.now() + ISR_RETRY_BACKOFF_MS;
      },
    );
  }

  /**
   * Leader: the high watermark is the smallest log end over the (maximal) ISR, and it moves only while the ISR has
   * at least min.insync.replicas members (bounded by the replica count, so a topic with fewer replicas than
   * min.insync.replicas still serves acks=1 writes).
   */
  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader()) return;
    const needed = Math.min(this.env.minInsyncReplicas(), this.replicas.length);
    if (this.isr.length < needed) return;
    let next = this.log.logEndOffset;
    for (const id of this.maximalIsr) {
      if (id === this.env.nodeId) continue;
      const f = this.followers.get(id);
      if (!f || f.leo < 0) return;
      if (f.leo < next) next = f.leo;
    }
    if (next <= this.hwm) return;
    this.hwm = next;
    let bytes = 0;
    let i = 0;
    while (i < this.appendMarks.length && this.appendMarks[i].end <= next) bytes += this.appendMarks[i++].bytes;
    if (i > 0) this.appendMarks.splice(0, i);
    this.settleWaiters();
    this.events.emit('visible', bytes);
  }

  private noteAppend(end: number, bytes: number): void {
    this.events.emit('append', bytes);
    if (this.appendMarks.length >= MAX_APPEND_MARKS) {
      // The high watermark has not moved for a long time: keep one mark for everything pending.
      const total = this.appendMarks.reduce((a, m) => a + m.bytes, 0);
      this.appendMarks = [{ end: this.appendMarks[this.appendMarks.length - 1].end, bytes: total }];
    }
    this.appendMarks.push({ end, bytes });
  }

  /**
   * acks=all: resolves once the high watermark reaches `offset`, or with why not: leadership lost, the ISR fell
   * below min.insync.replicas, the timeout passed, or the signal aborted.
   */
  waitForCommit(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<CommitOutcome> {
    if (!this.isLeader()) return Promise.resolve('not-leader');
    if (this.highWatermark >= offset) return Promise.resolve('committed');
    return new Promise<CommitOutcome>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const waiter: CommitWaiter = {
        offset,
        resolve: (outcome) => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(outcome);
        },
      };
      const onAbort = (): void => waiter.resolve('aborted');
      timer = setTimeout(() => waiter.resolve(this.isr.length < this.env.minInsyncReplicas() ? 'not-enough-replicas' : 'timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const leader = this.isLeader();
    const hwm = this.highWatermark;
    const shortOfIsr = this.isr.length < this.env.minInsyncReplicas();
    for (const w of [...this.waiters]) {
      if (!leader) w.resolve('not-leader');
      else if (hwm >= w.offset) w.resolve('committed');
      else if (shortOfIsr) w.resolve('not-enough-replicas');
    }
  }

  /**
   * Run `fn` after every earlier exclusive() call on this partition finished. Produce uses it so that the
   * idempotence check, the append and the producer-state update happen as one step, in request order; the replica
   * fetcher uses it for follower appends and truncation.
   */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Wake fetch waiters without an append (e.g. leadership or log start changes). */
  poke(): void {
    this.events.emit('append', 0, true);
    this.events.emit('visible', 0, true);
  }

  /** The partition is gone from this broker: nothing waits on it any more. */
  close(): void {
    this.leader = -1;
    this.settleWaiters();
    this.poke();
  }
}
