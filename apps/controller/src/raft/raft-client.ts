import { encodeMessage, encodeMetadataRecord, encodeRecordBatch } from '@runnel/protocol';
import type { MetadataRecord } from '@runnel/metadata';
import { QuorumStateData, QuorumStateStore, emptyQuorumState } from './quorum-state';
import { RaftLog, RaftReadResult } from './raft-log';
import { ControllerLogger, createLogger } from '../util/logger';

export type RaftRole = 'unattached' | 'candidate' | 'leader' | 'follower' | 'resigned';

/** Progress of one replica (voter or observer) as seen by the leader. */
export interface ReplicaProgress {
  replicaId: number;
  /** Next offset the replica will fetch, i.e. its log end offset. -1 when unknown. */
  logEndOffset: number;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

export interface RaftOptions {
  nodeId: number;
  /** Voter ids from controller.quorum.voters. */
  voters: number[];
  log: RaftLog;
  stateStore: QuorumStateStore;
  clusterId?: string;
  now?: () => number;
  logger?: ControllerLogger;
}

/** Thrown by append() when this node is not (or no longer) the leader. */
export class NotLeaderError extends Error {
  constructor(readonly leaderId: number, readonly epoch: number) {
    super(`not the Raft leader (leader ${leaderId}, epoch ${epoch})`);
  }
}

interface HwWaiter {
  offset: number;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout | null;
}

/** Type of a Raft control record in its key: LEADER_CHANGE = 2 (ControlRecordType). */
const LEADER_CHANGE_TYPE = 2;

function controlKey(type: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0); // control record key version
  key.writeInt16BE(type, 2);
  return key;
}

/**
 * The KRaft metadata log as a Raft replica (KIP-595 semantics, pull-based).
 *
 * Implemented now: the single-voter quorum. On start the node moves to a new epoch as candidate,
 * votes for itself (persisted), becomes leader (persisted), and appends a LeaderChangeMessage
 * control record at the epoch start offset. The high watermark is the offset replicated to a
 * majority of voters (for one voter: its own flushed log end) and only advances past the epoch
 * start, so entries of earlier epochs commit through an entry of the current one.
 *
 * Written so more voters can come: voter progress is tracked per replica id, the high watermark
 * is the majority-reached offset over all voters, and every role change persists the quorum state
 * before acting. Vote / BeginQuorumEpoch / follower fetching are the next step.
 */
export class RaftClient {
  role: RaftRole = 'unattached';
  epoch = 0;
  leaderId = -1;
  votedId = -1;
  /** Exclusive: every offset below it is committed. -1 while unknown. */
  highWatermark = -1;
  /** Offset of this leader's LeaderChangeMessage. */
  epochStartOffset = -1;

  private readonly voterProgress = new Map<number, ReplicaProgress>();
  private readonly observerProgress = new Map<number, ReplicaProgress>();
  private readonly hwListeners = new Set<(hw: number) => void>();
  private hwWaiters: HwWaiter[] = [];
  private appendChain: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly logger: ControllerLogger;
  private closed = false;

  constructor(private readonly opts: RaftOptions) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? createLogger('raft');
    if (!opts.voters.includes(opts.nodeId)) {
      throw new Error(`node ${opts.nodeId} is not in controller.quorum.voters (${opts.voters.join(',')})`);
    }
    for (const id of opts.voters) {
      this.voterProgress.set(id, { replicaId: id, logEndOffset: -1, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 });
    }
  }

  get nodeId(): number {
    return this.opts.nodeId;
  }

  get voters(): readonly number[] {
    return this.opts.voters;
  }

  get logEndOffset(): number {
    return this.opts.log.logEndOffset;
  }

  get logStartOffset(): number {
    return this.opts.log.logStartOffset;
  }

  isLeader(): boolean {
    return this.role === 'leader' && !this.closed;
  }

  /** Load the persisted state and run for leadership. */
  async start(): Promise<void> {
    const stored = this.opts.stateStore.read();
    const state: QuorumStateData = stored ?? emptyQuorumState(this.opts.voters);
    this.epoch = state.leaderEpoch;
    this.votedId = state.votedId;
    this.leaderId = state.leaderId;
    // The log may know a later epoch than a lost/old state file; never reuse an epoch.
    const logEpoch = await this.latestLogEpoch();
    if (logEpoch > this.epoch) this.epoch = logEpoch;

    if (this.opts.voters.length !== 1) {
      // Multi-voter elections (Vote, BeginQuorumEpoch, follower Fetch) arrive with issue 6.
      throw new Error(
        `controller.quorum.voters lists ${this.opts.voters.length} voters; this version supports a single-voter quorum only`,
      );
    }
    await this.becomeCandidate();
    // A single voter holds a majority with its own vote.
    await this.becomeLeader([this.opts.nodeId]);
  }

  private async becomeCandidate(): Promise<void> {
    const epoch = this.epoch + 1;
    this.persist({ leaderEpoch: epoch, votedId: this.opts.nodeId, leaderId: -1 });
    this.epoch = epoch;
    this.votedId = this.opts.nodeId;
    this.leaderId = -1;
    this.role = 'candidate';
  }

  private async becomeLeader(grantingVoters: number[]): Promise<void> {
    this.persist({ leaderEpoch: this.epoch, votedId: this.votedId, leaderId: this.opts.nodeId });
    this.role = 'leader';
    this.leaderId = this.opts.nodeId;
    this.highWatermark = -1;
    for (const p of this.voterProgress.values()) p.logEndOffset = -1;
    this.epochStartOffset = this.opts.log.logEndOffset;
    const value = encodeMessage('LeaderChangeMessage', 0, {
      version: 0,
      leaderId: this.opts.nodeId,
      voters: this.opts.voters.map((voterId) => ({ voterId })),
      grantingVoters: grantingVoters.map((voterId) => ({ voterId })),
    });
    const batch = encodeRecordBatch({
      baseOffset: 0,
      partitionLeaderEpoch: this.epoch,
      isControl: true,
      records: [{ key: controlKey(LEADER_CHANGE_TYPE), value, timestamp: this.now() }],
    });
    await this.appendAndFlush(batch);
    this.logger.log(`node ${this.opts.nodeId} is the Raft leader of epoch ${this.epoch} (epoch start offset ${this.epochStartOffset})`);
  }

  private persist(fields: Pick<QuorumStateData, 'leaderEpoch' | 'votedId' | 'leaderId'>): void {
    this.opts.stateStore.write({
      ...emptyQuorumState(this.opts.voters),
      clusterId: this.opts.clusterId ?? '',
      ...fields,
    });
  }

  /** Offset the next appended record will get (valid for a leader with no append in flight). */
  nextOffset(): number {
    return this.opts.log.logEndOffset;
  }

  /**
   * Append metadata records as one batch in the current epoch. Resolves with their offsets once
   * they are committed (high watermark past them). Rejects with NotLeaderError when not leader.
   */
  append(records: MetadataRecord[]): Promise<{ baseOffset: number; lastOffset: number }> {
    const run = async () => {
      if (!this.isLeader()) throw new NotLeaderError(this.leaderId, this.epoch);
      if (records.length === 0) throw new Error('empty append');
      const now = this.now();
      const batch = encodeRecordBatch({
        baseOffset: 0,
        partitionLeaderEpoch: this.epoch,
        records: records.map((r, i) => ({
          key: null,
          value: encodeMetadataRecord({ name: r.name, version: r.version ?? 0, data: r.data }),
          timestamp: now,
          offsetDelta: i,
        })),
      });
      const res = await this.appendAndFlush(batch);
      return { baseOffset: res.firstOffset, lastOffset: res.lastOffset };
    };
    const p = this.appendChain.then(run, run);
    this.appendChain = p.catch(() => undefined);
    return p.then(async (r) => {
      const ok = await this.waitForHighWatermark(r.lastOffset + 1, 30_000);
      if (!ok) throw new Error(`append at offset ${r.lastOffset} did not commit in time`);
      return r;
    });
  }

  private async appendAndFlush(batch: Buffer): Promise<{ firstOffset: number; lastOffset: number }> {
    const res = await this.opts.log.append(batch, { leaderEpoch: this.epoch, assignOffsets: true });
    // The leader's own log end counts toward the majority only once it is on disk.
    await this.opts.log.flush();
    this.updateVoterProgress(this.opts.nodeId, this.opts.log.logEndOffset, this.now());
    return res;
  }

  /** Called by the Fetch handler: a replica fetching at `fetchOffset` has everything below it. */
  recordFetch(replicaId: number, fetchOffset: number, now = this.now()): void {
    if (this.voterProgress.has(replicaId) && replicaId !== this.opts.nodeId) {
      this.updateVoterProgress(replicaId, fetchOffset, now);
      return;
    }
    if (replicaId < 0) return; // consumers: not tracked
    let p = this.observerProgress.get(replicaId);
    if (!p) {
      p = { replicaId, logEndOffset: -1, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 };
      this.observerProgress.set(replicaId, p);
    }
    p.logEndOffset = fetchOffset;
    p.lastFetchTimestamp = now;
    if (fetchOffset >= this.opts.log.logEndOffset) p.lastCaughtUpTimestamp = now;
  }

  private updateVoterProgress(replicaId: number, endOffset: number, now: number): void {
    const p = this.voterProgress.get(replicaId);
    if (!p) return;
    if (endOffset > p.logEndOffset) p.logEndOffset = endOffset;
    p.lastFetchTimestamp = now;
    if (endOffset >= this.opts.log.logEndOffset) p.lastCaughtUpTimestamp = now;
    if (this.role === 'leader') this.maybeAdvanceHighWatermark();
  }

  private maybeAdvanceHighWatermark(): void {
    const offsets = [...this.voterProgress.values()].map((p) => p.logEndOffset).sort((a, b) => b - a);
    // With n voters, the offset at index floor(n/2) of the descending list is held by a majority.
    const majority = offsets[Math.floor(offsets.length / 2)];
    // Commit only once an entry of this epoch (the LeaderChangeMessage) is replicated.
    if (majority > this.epochStartOffset && majority > this.highWatermark) {
      this.highWatermark = majority;
      for (const l of this.hwListeners) {
        try {
          l(majority);
        } catch (e) {
          this.logger.error(`high watermark listener failed: ${(e as Error).message}`);
        }
      }
      this.checkWaiters();
    }
  }

  /** Subscribe to high watermark advances. */
  onHighWatermark(listener: (hw: number) => void): () => void {
    this.hwListeners.add(listener);
    return () => this.hwListeners.delete(listener);
  }

  /** Resolves true once highWatermark >= offset, false on timeout or close. */
  waitForHighWatermark(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.highWatermark >= offset) return Promise.resolve(true);
    if (this.closed || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w: HwWaiter = { offset, resolve, timer: null };
      w.timer = setTimeout(() => {
        this.hwWaiters = this.hwWaiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
      this.hwWaiters.push(w);
    });
  }

  private checkWaiters(): void {
    const still: HwWaiter[] = [];
    for (const w of this.hwWaiters) {
      if (this.highWatermark >= w.offset) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.hwWaiters = still;
  }

  /** Committed batches from `offset` (raw v2 batch bytes), at most about maxBytes. */
  async readCommitted(offset: number, maxBytes: number): Promise<RaftReadResult> {
    const hw = this.highWatermark;
    if (hw < 0 || offset >= hw) return { chunks: [], bytes: 0 };
    const res = await this.opts.log.read(offset, maxBytes, { maxOffset: hw, minOneBatch: true });
    return { chunks: res?.chunks ?? [], bytes: res?.bytes ?? 0 };
  }

  /** End offset of `epoch` in our log (for a fetcher's last-fetched-epoch divergence check). */
  async endOffsetForEpoch(epoch: number): Promise<{ epoch: number; endOffset: number } | null> {
    const r = await this.opts.log.endOffsetForEpoch(epoch);
    return r ?? null;
  }

  private async latestLogEpoch(): Promise<number> {
    if (this.opts.log.logEndOffset === 0) return 0;
    const latest = this.opts.log.latestEpoch;
    if (typeof latest === 'number') return Math.max(0, latest);
    // Without the getter: asking for a huge epoch yields the latest epoch the log knows.
    const r = await this.opts.log.endOffsetForEpoch(0x7fffffff);
    return r && r.epoch >= 0 ? r.epoch : 0;
  }

  /** DescribeQuorum view of the partition. */
  describe(): {
    leaderId: number;
    leaderEpoch: number;
    highWatermark: number;
    voters: ReplicaProgress[];
    observers: ReplicaProgress[];
  } {
    return {
      leaderId: this.leaderId,
      leaderEpoch: this.epoch,
      highWatermark: this.highWatermark,
      voters: [...this.voterProgress.values()].map((p) => ({ ...p })),
      observers: [...this.observerProgress.values()].map((p) => ({ ...p })),
    };
  }

  /** Step down: pending waiters resolve false; the persisted state keeps the epoch. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.role = 'resigned';
    for (const w of this.hwWaiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(false);
    }
    this.hwWaiters = [];
    await this.appendChain.catch(() => undefined);
  }
}
