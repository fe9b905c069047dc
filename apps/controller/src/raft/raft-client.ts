import { ApiKey, ErrorCode, encodeMessage, encodeMetadataRecord, encodeRecordBatch } from '@runnel/protocol';
import type { MetadataRecord, SnapshotId } from '@runnel/metadata';
import { METADATA_PARTITION, METADATA_TOPIC, parseSnapshot } from '@runnel/metadata';
import { QuorumStateData, QuorumStateStore, emptyQuorumState } from './quorum-state';
import { RaftLog, RaftReadResult } from './raft-log';
import { RaftTransport } from './transport';
import type { SnapshotStore } from './snapshot-store';
import { ControllerLogger, createLogger } from '../util/logger';

/**
 * KRaft roles. 'prospective' is KIP-996's pre-vote state: it asks for pre-votes without bumping the
 * epoch, and only a majority of pre-votes makes it a candidate.
 */
export type RaftRole = 'unattached' | 'prospective' | 'candidate' | 'leader' | 'follower' | 'resigned';

/** Progress of one replica (voter or observer) as seen by the leader. */
export interface ReplicaProgress {
  replicaId: number;
  /** Next offset the replica will fetch, i.e. its log end offset. -1 when unknown. */
  logEndOffset: number;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

interface VoterProgress extends ReplicaProgress {
  /** High watermark last sent to this voter (its fetch long-polls until there is something newer). */
  lastSentHw: number;
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
  /** Needed with more than one voter. */
  transport?: RaftTransport;
  /** controller.quorum.election.timeout.ms (randomized between 1x and 2x). */
  electionTimeoutMs?: number;
  /** controller.quorum.fetch.timeout.ms: follower without a good fetch, and leader check-quorum. */
  fetchTimeoutMs?: number;
  /** Random source for election timeouts (tests seed it). */
  random?: () => number;
  /** This node's metadata snapshots: served to fetchers below the log start, and where downloads go. */
  snapshots?: SnapshotStore;
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

export interface VoteInput {
  clusterId: string | null;
  candidateId: number;
  candidateEpoch: number;
  lastOffsetEpoch: number;
  lastOffset: number;
  preVote: boolean;
}

export interface QuorumAnswer {
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
}

/** Type of a Raft control record in its key: LEADER_CHANGE = 2 (ControlRecordType). */
const LEADER_CHANGE_TYPE = 2;

/**
 * The reference Vote spec stops at v1 (no PreVote flag), so a pre-vote is marked in the
 * CandidateDirectoryId field, which this implementation otherwise leaves zero. Both ends are ours.
 */
export const PRE_VOTE_MARKER = Buffer.from('runnel:pre-vote!').toString('base64url');

/** Kafka's fixed topic id of __cluster_metadata (Uuid.METADATA_TOPIC_ID = 0:1). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** Version of Fetch used between voters (topic ids, lastFetchedEpoch, divergingEpoch). */
const VOTER_FETCH_VERSION = 13;
const VOTER_FETCH_MAX_WAIT_MS = 500;
/** FetchSnapshot chunk a follower asks for. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

function controlKey(type: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0); // control record key version
  key.writeInt16BE(type, 2);
  return key;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/**
 * The KRaft metadata log as a Raft replica (KIP-595 semantics, pull-based, with KIP-996 pre-vote).
 *
 * Single voter: on start the node moves to a new epoch, votes for itself and leads at once.
 * Several voters: a node starts as follower of the leader it remembers, or unattached; a follower
 * whose fetches fail for fetch.timeout (or an unattached node after a randomized election timeout)
 * becomes prospective and asks for pre-votes; a majority of pre-votes makes it a candidate in the
 * next epoch, a majority of votes makes it leader. Every change of epoch, vote or leader is written
 * to the quorum-state file before the node acts on it or answers.
 *
 * The leader appends a LeaderChangeMessage at the start of its epoch; followers pull with Fetch
 * (replica id = node id, lastFetchedEpoch); the leader answers a diverging tail with divergingEpoch
 * and the follower truncates. The high watermark is the offset a majority of voters has, and only
 * advances past the epoch start offset (so earlier epochs' entries commit through one of this epoch).
 * Check-quorum: a leader that has no fetch from a majority within fetch.timeout resigns.
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
  /** Elections this node started as a candidate. */
  electionsTotal = 0;
  /** Test hook: drop all Raft traffic to and from the other voters (a network partition). */
  isolated = false;
  /** Batch bytes appended to the local log since start (leader writes and replicated ones): drives snapshots. */
  appendedBytes = 0;
  /** Snapshots this node downloaded from the leader with FetchSnapshot. */
  snapshotsFetched = 0;

  private readonly voterProgress = new Map<number, VoterProgress>();
  private readonly observerProgress = new Map<number, ReplicaProgress>();
  private readonly hwListeners = new Set<(hw: number) => void>();
  private readonly roleListeners = new Set<(role: RaftRole, epoch: number, leaderId: number) => void>();
  private readonly commitLatencyListeners = new Set<(seconds: number) => void>();
  private readonly snapshotListeners = new Set<(id: SnapshotId, records: MetadataRecord[]) => void>();
  private hwWaiters: HwWaiter[] = [];
  private changeWaiters = new Set<() => void>();
  private appendChain: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: ControllerLogger;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private checkQuorumTimer: NodeJS.Timeout | null = null;
  /** Bumped on every role change: loops and rounds of an older generation stop. */
  private generation = 0;
  /** Last time a follower heard from its leader (pre-votes are refused while it is recent). */
  private lastLeaderContact = -1;
  private lastEpochCache = -1;
  private readonly electionTimeoutMs: number;
  private readonly fetchTimeoutMs: number;

  constructor(private readonly opts: RaftOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.logger = opts.logger ?? createLogger('raft');
    this.electionTimeoutMs = Math.max(10, opts.electionTimeoutMs ?? 1000);
    this.fetchTimeoutMs = Math.max(20, opts.fetchTimeoutMs ?? 2000);
    if (!opts.voters.includes(opts.nodeId)) {
      throw new Error(`node ${opts.nodeId} is not in controller.quorum.voters (${opts.voters.join(',')})`);
    }
    for (const id of opts.voters) {
      this.voterProgress.set(id, { replicaId: id, logEndOffset: -1, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1, lastSentHw: -1 });
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

  get clusterId(): string {
    return this.opts.clusterId ?? '';
  }

  isLeader(): boolean {
    return this.role === 'leader' && !this.closed;
  }

  isVoter(id: number): boolean {
    return this.voterProgress.has(id);
  }

  private get majority(): number {
    return Math.floor(this.opts.voters.length / 2) + 1;
  }

  /** Load the persisted state and join the quorum (single voter: become leader at once). */
  async start(): Promise<void> {
    const stored = this.opts.stateStore.read();
    const state: QuorumStateData = stored ?? emptyQuorumState(this.opts.voters);
    this.epoch = state.leaderEpoch;
    this.votedId = state.votedId;
    this.leaderId = state.leaderId;
    // The log may know a later epoch than a lost/old state file; never reuse an epoch.
    const logEpoch = await this.latestLogEpoch();
    this.lastEpochCache = logEpoch;
    if (logEpoch > this.epoch) {
      this.epoch = logEpoch;
      this.votedId = -1;
      this.leaderId = -1;
    }

    if (this.opts.voters.length === 1) {
      await this.becomeCandidate();
      // A single voter holds a majority with its own vote.
      await this.becomeLeader([this.opts.nodeId]);
      return;
    }
    if (!this.opts.transport) throw new Error('a multi-voter quorum needs a Raft transport');
    if (this.leaderId >= 0 && this.leaderId !== this.opts.nodeId && this.isVoter(this.leaderId)) {
      this.becomeFollower(this.epoch, this.leaderId, false);
    } else {
      // A remembered leadership of our own is not resumed: the others may have moved on.
      this.transition('unattached', this.epoch, -1, this.votedId);
      this.scheduleElection(this.randomElectionTimeout());
    }
  }

  // ------------------------------------------------------------------ state transitions

  onRoleChange(listener: (role: RaftRole, epoch: number, leaderId: number) => void): () => void {
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  onCommitLatency(listener: (seconds: number) => void): () => void {
    this.commitLatencyListeners.add(listener);
    return () => this.commitLatencyListeners.delete(listener);
  }

  /**
   * A snapshot downloaded from the leader replaced the local log: the listener must replace its state (the
   * controller image) with `records`, the metadata as of id.endOffset - 1. Called before the high watermark moves.
   */
  onSnapshotLoaded(listener: (id: SnapshotId, records: MetadataRecord[]) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  /** Id of the newest local snapshot, or null. */
  latestSnapshot(): SnapshotId | null {
    return this.opts.snapshots?.latest()?.id ?? null;
  }

  get snapshotStore(): SnapshotStore | null {
    return this.opts.snapshots ?? null;
  }

  /** Persist (when epoch, vote or leader change), then switch role. Stops timers of the old role. */
  private transition(role: RaftRole, epoch: number, leaderId: number, votedId: number): void {
    if (epoch < this.epoch) throw new Error(`epoch may not go back from ${this.epoch} to ${epoch}`);
    if (epoch !== this.epoch || leaderId !== this.leaderId || votedId !== this.votedId) {
      this.persist({ leaderEpoch: epoch, votedId, leaderId });
    }
    const wasLeader = this.role === 'leader';
    const changed = role !== this.role || epoch !== this.epoch || leaderId !== this.leaderId;
    this.generation++;
    this.clearTimer();
    if (this.checkQuorumTimer) clearInterval(this.checkQuorumTimer);
    this.checkQuorumTimer = null;
    this.role = role;
    this.epoch = epoch;
    this.leaderId = leaderId;
    this.votedId = votedId;
    if (role !== 'follower') this.lastLeaderContact = -1;
    if (wasLeader && role !== 'leader') this.failWaiters();
    this.notifyChange();
    if (changed) {
      if (role !== 'leader') {
        this.logger.log(`node ${this.nodeId} is ${role} in epoch ${epoch}${leaderId >= 0 ? ` (leader ${leaderId})` : ''}`);
      }
      for (const l of this.roleListeners) {
        try {
          l(role, epoch, leaderId);
        } catch (e) {
          this.logger.error(`role listener failed: ${(e as Error).message}`);
        }
      }
    }
  }

  private async becomeCandidate(): Promise<void> {
    this.electionsTotal++;
    this.transition('candidate', this.epoch + 1, -1, this.opts.nodeId);
  }

  private async becomeLeader(grantingVoters: number[]): Promise<void> {
    const now = this.now();
    for (const p of this.voterProgress.values()) {
      p.logEndOffset = -1;
      p.lastSentHw = -1;
      // Check-quorum gives every voter a full fetch timeout from the start of the epoch.
      p.lastFetchTimestamp = now;
    }
    this.epochStartOffset = this.opts.log.logEndOffset;
    if (this.opts.voters.length === 1) this.highWatermark = -1;
    this.transition('leader', this.epoch, this.opts.nodeId, this.votedId);
    const gen = this.generation;
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
    const run = () => this.appendAndFlush(batch);
    const p = this.appendChain.then(run, run);
    this.appendChain = p.catch(() => undefined);
    await p;
    this.logger.log(`node ${this.opts.nodeId} is the Raft leader of epoch ${this.epoch} (epoch start offset ${this.epochStartOffset})`);
    if (this.opts.voters.length > 1 && this.generation === gen) {
      this.announceLeadership(gen).catch((e) => this.logger.error(`announcing leadership failed: ${(e as Error).message}`));
      this.checkQuorumTimer = setInterval(() => this.checkQuorum(), Math.max(10, Math.floor(this.fetchTimeoutMs / 4)));
      this.checkQuorumTimer.unref?.();
    }
  }

  private becomeFollower(epoch: number, leaderId: number, contact: boolean): void {
    const votedId = epoch === this.epoch ? this.votedId : -1;
    this.transition('follower', epoch, leaderId, votedId);
    if (contact) this.lastLeaderContact = this.now();
    const gen = this.generation;
    this.resetFetchTimer();
    this.fetchLoop(gen).catch((e) => this.logger.error(`follower fetch loop failed: ${(e as Error).message}`));
  }

  private becomeUnattached(epoch: number, timeoutMs = this.randomElectionTimeout()): void {
    const votedId = epoch === this.epoch ? this.votedId : -1;
    this.transition('unattached', epoch, -1, votedId);
    this.scheduleElection(timeoutMs);
  }

  /** React to an epoch/leader learned from any message. Returns true when it moved us. */
  private observeLeader(epoch: number, leaderId: number): boolean {
    if (this.closed || epoch < this.epoch) return false;
    const knownLeader = leaderId >= 0 && leaderId !== this.opts.nodeId && this.isVoter(leaderId);
    if (epoch > this.epoch) {
      if (knownLeader) this.becomeFollower(epoch, leaderId, false);
      else this.becomeUnattached(epoch);
      return true;
    }
    if (knownLeader && this.role !== 'follower' && this.role !== 'leader') {
      this.becomeFollower(epoch, leaderId, false);
      return true;
    }
    return false;
  }

  private persist(fields: Pick<QuorumStateData, 'leaderEpoch' | 'votedId' | 'leaderId'>): void {
    this.opts.stateStore.write({
      ...emptyQuorumState(this.opts.voters),
      clusterId: this.opts.clusterId ?? '',
      ...fields,
    });
  }

  // ------------------------------------------------------------------ timers and elections

  private randomElectionTimeout(): number {
    return this.electionTimeoutMs + Math.floor(this.random() * this.electionTimeoutMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private scheduleElection(ms: number): void {
    this.clearTimer();
    if (this.closed) return;
    const gen = this.generation;
    this.timer = setTimeout(() => {
      if (this.generation === gen) this.runElection();
    }, ms);
    this.timer.unref?.();
  }

  private resetFetchTimer(): void {
    this.clearTimer();
    if (this.closed) return;
    const gen = this.generation;
    this.timer = setTimeout(() => {
      if (this.generation === gen && this.role === 'follower') {
        this.logger.warn(`no fetch answer from leader ${this.leaderId} for ${this.fetchTimeoutMs} ms`);
        this.runElection();
      }
    }, this.fetchTimeoutMs);
    this.timer.unref?.();
  }

  private async lastLogPosition(): Promise<{ epoch: number; offset: number }> {
    const epoch = await this.latestLogEpoch();
    return { epoch, offset: this.opts.log.logEndOffset };
  }

  /** Timer entry point: an election round whose failure (e.g. a log error) is logged and retried later. */
  private runElection(): void {
    this.startPreVote().catch((e) => {
      this.logger.error(`election round failed: ${(e as Error).message}`);
      if (!this.closed && this.role !== 'leader') this.scheduleElection(this.randomElectionTimeout());
    });
  }

  /**
   * Pre-vote round (KIP-996): ask every voter whether it would vote for us in epoch+1, changing no
   * state anywhere. Voters that hear from a live leader refuse, so a node coming back from a
   * partition cannot force an election.
   */
  private async startPreVote(): Promise<void> {
    if (this.closed || this.role === 'leader' || this.role === 'resigned') return;
    const formerLeader = this.role === 'follower' ? this.leaderId : -1;
    this.transition('prospective', this.epoch, -1, this.votedId);
    const gen = this.generation;
    const epoch = this.epoch;
    this.scheduleElectionRetry(gen, formerLeader);
    const pos = await this.lastLogPosition();
    const granted = await this.collectVotes(gen, epoch + 1, pos, true);
    if (this.generation !== gen || this.closed) return;
    if (granted) {
      await this.startElection();
    }
  }

  /** Retry after a randomized timeout if the round does not conclude (lost or refused). */
  private scheduleElectionRetry(gen: number, formerLeader: number): void {
    this.clearTimer();
    const ms = this.randomElectionTimeout();
    this.timer = setTimeout(() => {
      if (this.generation !== gen || this.closed) return;
      if (formerLeader >= 0 && this.role === 'prospective') {
        // Refused pre-votes usually mean the leader is alive and we lost contact: try fetching again.
        this.becomeFollower(this.epoch, formerLeader, false);
        return;
      }
      this.runElection();
    }, ms);
    this.timer.unref?.();
  }

  private async startElection(): Promise<void> {
    await this.becomeCandidate();
    const gen = this.generation;
    this.scheduleElectionRetry(gen, -1);
    this.logger.log(`node ${this.nodeId} starts an election for epoch ${this.epoch}`);
    const pos = await this.lastLogPosition();
    const granted = await this.collectVotes(gen, this.epoch, pos, false);
    if (this.generation !== gen || this.closed || !granted) return;
    const voters = [...this.grantedBy];
    await this.becomeLeader(voters);
  }

  private grantedBy = new Set<number>();

  /** Sends (pre-)votes to all other voters; resolves true as soon as a majority granted, false when that is impossible. */
  private collectVotes(gen: number, candidateEpoch: number, pos: { epoch: number; offset: number }, preVote: boolean): Promise<boolean> {
    const others = this.opts.voters.filter((v) => v !== this.opts.nodeId);
    this.grantedBy = new Set([this.opts.nodeId]);
    let refused = 0;
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (v: boolean) => {
        if (!done) {
          done = true;
          resolve(v);
        }
      };
      if (this.grantedBy.size >= this.majority) return finish(true);
      let answered = 0;
      for (const id of others) {
        const body = {
          clusterId: this.opts.clusterId ?? null,
          voterId: id,
          topics: [
            {
              topicName: METADATA_TOPIC,
              partitions: [
                {
                  partitionIndex: METADATA_PARTITION,
                  candidateEpoch,
                  candidateId: this.opts.nodeId,
                  candidateDirectoryId: preVote ? PRE_VOTE_MARKER : 'AAAAAAAAAAAAAAAAAAAAAA',
                  voterDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
                  lastOffsetEpoch: pos.epoch,
                  lastOffset: BigInt(pos.offset),
                },
              ],
            },
          ],
        };
        this.sendRaft(id, 'rpc', ApiKey.Vote, 1, body, this.electionTimeoutMs)
          .then((res) => {
            if (this.generation !== gen) return finish(false);
            const p = res?.topics?.[0]?.partitions?.[0];
            const granted = !!p && res.errorCode === 0 && p.errorCode === 0 && p.voteGranted === true;
            // A later epoch always wins; a leader named in a refusal of our epoch is one we did not know of.
            if (p && (p.leaderEpoch > this.epoch || (!granted && p.leaderId >= 0 && p.leaderEpoch === this.epoch && p.leaderId !== this.nodeId))) {
              if (this.observeLeader(p.leaderEpoch, p.leaderId)) return finish(false);
            }
            if (granted) this.grantedBy.add(id);
            else refused++;
          })
          .catch(() => {
            refused++;
          })
          .finally(() => {
            answered++;
            if (this.grantedBy.size >= this.majority) finish(true);
            else if (refused > this.opts.voters.length - this.majority || answered === others.length) finish(false);
          });
      }
    });
  }

  private sendRaft(voterId: number, channel: 'rpc' | 'fetch', apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<any> {
    if (this.isolated) return sleep(Math.min(timeoutMs, 200)).then(() => Promise.reject(new Error('isolated')));
    return this.opts.transport!.send(voterId, channel, apiKey, version, body, timeoutMs);
  }

  /** Vote request from another voter (pre-vote when `preVote`). Persists before answering. */
  async handleVote(v: VoteInput): Promise<QuorumAnswer & { voteGranted: boolean }> {
    const refuse = (errorCode = 0) => ({ errorCode, leaderId: this.leaderId, leaderEpoch: this.epoch, voteGranted: false });
    if (this.closed) return refuse(ErrorCode.BROKER_NOT_AVAILABLE);
    if (v.clusterId && this.opts.clusterId && v.clusterId !== this.opts.clusterId) return refuse(ErrorCode.INCONSISTENT_CLUSTER_ID);
    if (!this.isVoter(v.candidateId) || v.candidateId === this.nodeId) return refuse(ErrorCode.INCONSISTENT_VOTER_SET);
    const ours = await this.lastLogPosition();
    // No await below this line: the checks and the persisted vote form one step.
    const upToDate = v.lastOffsetEpoch > ours.epoch || (v.lastOffsetEpoch === ours.epoch && v.lastOffset >= ours.offset);
    if (v.preVote) {
      if (v.candidateEpoch <= this.epoch) return refuse();
      if (this.role === 'leader') return refuse();
      if (this.role === 'follower' && this.lastLeaderContact >= 0 && this.now() - this.lastLeaderContact < this.fetchTimeoutMs) return refuse();
      return { ...refuse(), voteGranted: upToDate };
    }
    if (v.candidateEpoch < this.epoch) return refuse(ErrorCode.FENCED_LEADER_EPOCH);
    if (v.candidateEpoch > this.epoch) this.becomeUnattached(v.candidateEpoch);
    if (this.leaderId >= 0 || this.role === 'leader') return refuse();
    if (this.votedId >= 0) return { ...refuse(), voteGranted: this.votedId === v.candidateId };
    if (!upToDate) return refuse();
    this.transition('unattached', this.epoch, -1, v.candidateId);
    this.scheduleElection(this.randomElectionTimeout());
    return { ...refuse(), voteGranted: true };
  }

  /** BeginQuorumEpoch: the sender won the election of `epoch`. */
  handleBeginQuorumEpoch(clusterId: string | null, leaderId: number, epoch: number): QuorumAnswer {
    if (clusterId && this.opts.clusterId && clusterId !== this.opts.clusterId) {
      return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, leaderId: this.leaderId, leaderEpoch: this.epoch };
    }
    if (!this.isVoter(leaderId)) return { errorCode: ErrorCode.INCONSISTENT_VOTER_SET, leaderId: this.leaderId, leaderEpoch: this.epoch };
    if (epoch < this.epoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: this.leaderId, leaderEpoch: this.epoch };
    if (!this.closed && leaderId !== this.nodeId && !(this.role === 'follower' && epoch === this.epoch && this.leaderId === leaderId)) {
      this.becomeFollower(epoch, leaderId, true);
    }
    return { errorCode: 0, leaderId: this.leaderId, leaderEpoch: this.epoch };
  }

  /** EndQuorumEpoch: the leader of `epoch` resigns; elect soon, the preferred candidates first. */
  handleEndQuorumEpoch(clusterId: string | null, leaderId: number, epoch: number, preferred: number[]): QuorumAnswer {
    if (clusterId && this.opts.clusterId && clusterId !== this.opts.clusterId) {
      return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, leaderId: this.leaderId, leaderEpoch: this.epoch };
    }
    if (epoch < this.epoch) return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: this.leaderId, leaderEpoch: this.epoch };
    if (!this.closed && epoch >= this.epoch && (epoch > this.epoch || this.leaderId === leaderId || this.leaderId < 0) && this.role !== 'leader') {
      const rank = Math.max(0, preferred.indexOf(this.nodeId));
      const delay = rank * Math.floor(this.electionTimeoutMs / 4) + Math.floor(this.random() * Math.floor(this.electionTimeoutMs / 4));
      this.becomeUnattached(epoch, delay);
    }
    return { errorCode: 0, leaderId: this.leaderId, leaderEpoch: this.epoch };
  }

  /** The new leader tells every voter until each has fetched in this epoch. */
  private async announceLeadership(gen: number): Promise<void> {
    const pending = new Set(this.opts.voters.filter((v) => v !== this.nodeId));
    while (this.generation === gen && pending.size > 0 && !this.closed) {
      await Promise.all(
        [...pending].map(async (id) => {
          try {
            const res = await this.sendRaft(id, 'rpc', ApiKey.BeginQuorumEpoch, 0, {
              clusterId: this.opts.clusterId ?? null,
              topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, leaderId: this.nodeId, leaderEpoch: this.epoch }] }],
            }, this.electionTimeoutMs);
            const p = res?.topics?.[0]?.partitions?.[0];
            if (this.generation !== gen) return;
            if (p && p.leaderEpoch > this.epoch) {
              this.observeLeader(p.leaderEpoch, p.leaderId);
              return;
            }
            if (res?.errorCode === 0 && p?.errorCode === 0) pending.delete(id);
          } catch {
            // unreachable voter: retried below
          }
        }),
      );
      if (pending.size > 0) await sleep(Math.min(500, this.electionTimeoutMs));
    }
  }

  private checkQuorum(): void {
    if (this.role !== 'leader' || this.closed) return;
    const now = this.now();
    let heard = 0;
    for (const p of this.voterProgress.values()) {
      if (p.replicaId === this.nodeId || now - p.lastFetchTimestamp < this.fetchTimeoutMs) heard++;
    }
    if (heard < this.majority) {
      this.logger.warn(`leader ${this.nodeId} heard from ${heard} of ${this.opts.voters.length} voters within ${this.fetchTimeoutMs} ms: resigning epoch ${this.epoch}`);
      this.becomeUnattached(this.epoch);
    }
  }

  // ------------------------------------------------------------------ follower replication

  private async fetchLoop(gen: number): Promise<void> {
    let backoff = 0;
    while (this.generation === gen && this.role === 'follower' && !this.closed) {
      if (backoff > 0) await sleep(backoff);
      if (this.generation !== gen) return;
      try {
        const lastEpoch = await this.latestLogEpoch();
        const fetchOffset = this.opts.log.logEndOffset;
        const res = await this.sendRaft(this.leaderId, 'fetch', ApiKey.Fetch, VOTER_FETCH_VERSION, {
          clusterId: this.opts.clusterId ?? null,
          replicaId: this.nodeId,
          maxWaitMs: VOTER_FETCH_MAX_WAIT_MS,
          minBytes: 1,
          maxBytes: 8 * 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topicId: METADATA_TOPIC_ID,
              partitions: [
                {
                  partition: METADATA_PARTITION,
                  currentLeaderEpoch: this.epoch,
                  fetchOffset: BigInt(fetchOffset),
                  lastFetchedEpoch: lastEpoch,
                  logStartOffset: BigInt(this.opts.log.logStartOffset),
                  partitionMaxBytes: 8 * 1024 * 1024,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        }, VOTER_FETCH_MAX_WAIT_MS + this.fetchTimeoutMs);
        // A partition (test hook) that began while the fetch was out drops its answer.
        if (this.generation !== gen || this.isolated) {
          backoff = 100;
          continue;
        }
        backoff = await this.handleFetchResponse(res, fetchOffset) ? 0 : 100;
      } catch (e) {
        if (this.generation !== gen) return;
        this.logger.debug(`fetch from leader ${this.leaderId} failed: ${(e as Error).message}`);
        backoff = 100;
      }
    }
  }

  /** Returns true when the fetch succeeded (counts as contact with the leader). */
  private async handleFetchResponse(res: any, fetchOffset: number): Promise<boolean> {
    if (!res || res.errorCode !== 0) return false;
    const p = res.responses?.[0]?.partitions?.[0];
    if (!p) return false;
    const cl = p.currentLeader;
    if (cl && cl.leaderEpoch > this.epoch) {
      this.observeLeader(cl.leaderEpoch, cl.leaderId);
      return false;
    }
    if (p.errorCode !== 0) return false;
    const gen = this.generation;
    this.lastLeaderContact = this.now();
    this.resetFetchTimer();
    const snap = p.snapshotId;
    if (snap && snap.epoch >= 0 && Number(snap.endOffset) > 0) {
      // Our fetch offset is below the leader's log start: the log we need is gone, its snapshot replaces it.
      await this.fetchSnapshot(gen, { endOffset: Number(snap.endOffset), epoch: snap.epoch });
      return true;
    }
    const div = p.divergingEpoch;
    if (div && (div.epoch >= 0 || Number(div.endOffset) >= 0)) {
      const ours = await this.opts.log.endOffsetForEpoch(div.epoch);
      let to = Number(div.endOffset);
      if (ours && ours.epoch === div.epoch && ours.endOffset < to) to = ours.endOffset;
      to = Math.max(0, Math.min(to, this.opts.log.logEndOffset));
      if (to < this.highWatermark) {
        this.logger.error(`refusing to truncate the metadata log to ${to}, below the high watermark ${this.highWatermark}`);
        return false;
      }
      if (this.generation !== gen) return false;
      this.logger.warn(`metadata log diverged from leader ${this.leaderId} at epoch ${div.epoch}: truncating ${fetchOffset} -> ${to}`);
      if (!this.opts.log.truncateTo) throw new Error('the metadata log cannot truncate');
      await this.opts.log.truncateTo(to);
      this.lastEpochCache = -1;
      return true;
    }
    const records: Buffer | null = Buffer.isBuffer(p.records) ? p.records : Array.isArray(p.records) ? Buffer.concat(p.records) : null;
    if (records && records.length > 0) {
      if (this.generation !== gen || this.opts.log.logEndOffset !== fetchOffset) return false;
      // The codec hands out a slice of the response frame; the log patches nothing on follower appends, but keep our own copy.
      await this.opts.log.append(Buffer.from(records), { leaderEpoch: -1, assignOffsets: false });
      await this.opts.log.flush();
      this.appendedBytes += records.length;
      this.lastEpochCache = -1;
    }
    const leaderHw = Number(p.highWatermark);
    const hw = Math.min(leaderHw, this.opts.log.logEndOffset);
    if (this.generation === gen) this.setHighWatermark(hw);
    this.notifyChange();
    return true;
  }

  /** Downloads snapshot `id` from the leader in chunks, validates it and installs it. */
  private async fetchSnapshot(gen: number, id: SnapshotId): Promise<void> {
    if (!this.opts.snapshots) throw new Error('the leader sent a snapshot id, but this node keeps no snapshots');
    this.logger.warn(`node ${this.nodeId} is behind the leader's log start: fetching snapshot ${id.endOffset}-${id.epoch}`);
    const chunks: Buffer[] = [];
    let position = 0;
    let size = -1;
    while (size < 0 || position < size) {
      const res = await this.sendRaft(this.leaderId, 'fetch', ApiKey.FetchSnapshot, 0, {
        clusterId: this.opts.clusterId ?? null,
        replicaId: this.nodeId,
        maxBytes: SNAPSHOT_CHUNK_BYTES,
        topics: [
          {
            name: METADATA_TOPIC,
            partitions: [
              {
                partition: METADATA_PARTITION,
                currentLeaderEpoch: this.epoch,
                snapshotId: { endOffset: BigInt(id.endOffset), epoch: id.epoch },
                position: BigInt(position),
              },
            ],
          },
        ],
      }, this.fetchTimeoutMs);
      if (this.generation !== gen || this.isolated) throw new Error('role changed during the snapshot download');
      const p = res?.topics?.[0]?.partitions?.[0];
      if (!res || res.errorCode !== 0 || !p) throw new Error(`FetchSnapshot failed (error ${res?.errorCode})`);
      const cl = p.currentLeader;
      if (cl && cl.leaderEpoch > this.epoch) {
        this.observeLeader(cl.leaderEpoch, cl.leaderId);
        throw new Error(`FetchSnapshot: leader epoch ${cl.leaderEpoch} is newer`);
      }
      if (p.errorCode !== 0) throw new Error(`FetchSnapshot of ${id.endOffset}-${id.epoch} failed with error ${p.errorCode}`);
      const bytes: Buffer = Buffer.isBuffer(p.unalignedRecords) ? p.unalignedRecords : Buffer.alloc(0);
      if (Number(p.position) !== position) throw new Error(`FetchSnapshot answered position ${p.position}, asked ${position}`);
      size = Number(p.size);
      if (bytes.length === 0 && position < size) throw new Error('FetchSnapshot returned no bytes');
      chunks.push(Buffer.from(bytes));
      position += bytes.length;
      // Each chunk counts as contact with the leader: a long download must not trigger an election.
      this.lastLeaderContact = this.now();
      this.resetFetchTimer();
    }
    const data = Buffer.concat(chunks);
    const { records } = parseSnapshot(data);
    await this.installSnapshot(id, data, records);
  }

  /**
   * Makes a downloaded snapshot the start of the local log: the file first (a crash before the truncation
   * leaves a snapshot past the log end, which the next start completes), then the log restarts empty at its end.
   */
  private async installSnapshot(id: SnapshotId, data: Buffer, records: MetadataRecord[]): Promise<void> {
    await this.opts.snapshots!.writeBytes(id, data);
    if (!this.opts.log.truncateFullyAndStartAt) throw new Error('the metadata log cannot restart at an offset');
    await this.opts.log.truncateFullyAndStartAt(id.endOffset);
    this.lastEpochCache = -1;
    this.snapshotsFetched++;
    for (const l of this.snapshotListeners) {
      try {
        l(id, records);
      } catch (e) {
        this.logger.error(`snapshot listener failed: ${(e as Error).message}`);
      }
    }
    this.logger.log(`node ${this.nodeId} loaded snapshot ${id.endOffset}-${id.epoch} (${data.length} bytes, ${records.length} records)`);
    this.setHighWatermark(id.endOffset);
    this.notifyChange();
  }

  /**
   * Leader side of a Fetch (voter or observer): the snapshot the fetcher must load instead of reading the log,
   * or null. That is the case below the log start, and at the log start when the fetcher's last epoch is not the
   * epoch the log start snapshot ends with (its tail diverged before what we still hold).
   */
  snapshotForFetch(fetchOffset: number, lastFetchedEpoch: number): SnapshotId | null {
    const latest = this.latestSnapshot();
    if (!latest) return null;
    const start = this.opts.log.logStartOffset;
    if (fetchOffset < start) return latest;
    if (fetchOffset === start && start > 0 && lastFetchedEpoch >= 0) {
      const atStart = this.opts.snapshots!.atOffset(start);
      if (atStart && atStart.id.epoch !== lastFetchedEpoch) return latest;
    }
    return null;
  }

  private setHighWatermark(hw: number): void {
    if (hw <= this.highWatermark) return;
    this.highWatermark = hw;
    for (const l of this.hwListeners) {
      try {
        l(hw);
      } catch (e) {
        this.logger.error(`high watermark listener failed: ${(e as Error).message}`);
      }
    }
    this.checkWaiters();
    this.notifyChange();
  }

  // ------------------------------------------------------------------ leader side

  /** Offset the next appended record will get (valid for a leader with no append in flight). */
  nextOffset(): number {
    return this.opts.log.logEndOffset;
  }

  /**
   * Append metadata records as one batch in the current epoch. Resolves with their offsets once
   * they are committed (high watermark past them). Rejects with NotLeaderError when not leader
   * (or when leadership is lost before they commit).
   */
  append(records: MetadataRecord[]): Promise<{ baseOffset: number; lastOffset: number }> {
    const t0 = process.hrtime.bigint();
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
      if (!ok) {
        if (!this.isLeader()) throw new NotLeaderError(this.leaderId, this.epoch);
        throw new Error(`append at offset ${r.lastOffset} did not commit in time`);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      for (const l of this.commitLatencyListeners) l(seconds);
      return r;
    });
  }

  private async appendAndFlush(batch: Buffer): Promise<{ firstOffset: number; lastOffset: number }> {
    const res = await this.opts.log.append(batch, { leaderEpoch: this.epoch, assignOffsets: true });
    this.appendedBytes += batch.length;
    this.lastEpochCache = this.epoch;
    this.notifyChange();
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
    // A follower may truncate, so its offset can go down (the HW never does).
    p.logEndOffset = endOffset;
    p.lastFetchTimestamp = now;
    if (endOffset >= this.opts.log.logEndOffset) p.lastCaughtUpTimestamp = now;
    if (this.role === 'leader') this.maybeAdvanceHighWatermark();
  }

  private maybeAdvanceHighWatermark(): void {
    const offsets = [...this.voterProgress.values()].map((p) => p.logEndOffset).sort((a, b) => b - a);
    // With n voters, the offset at index floor(n/2) of the descending list is held by a majority.
    const majority = offsets[Math.floor(offsets.length / 2)];
    // Commit only once an entry of this epoch (the LeaderChangeMessage) is replicated.
    if (majority > this.epochStartOffset && majority > this.highWatermark) this.setHighWatermark(majority);
  }

  /**
   * Leader side of a voter's Fetch, after the divergence check: record its progress, then long-poll
   * until there is data past `fetchOffset` or a high watermark it has not seen.
   */
  async voterFetchWait(replicaId: number, fetchOffset: number, timeoutMs: number): Promise<void> {
    this.recordFetch(replicaId, fetchOffset);
    const p = this.voterProgress.get(replicaId);
    if (!p) return;
    const epoch = this.epoch;
    const ready = () =>
      this.closed || this.role !== 'leader' || this.epoch !== epoch || this.opts.log.logEndOffset > fetchOffset || this.highWatermark > p.lastSentHw;
    if (ready() || timeoutMs <= 0) return;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (ready()) {
          clearTimeout(t);
          this.changeWaiters.delete(check);
          resolve();
        }
      };
      const t = setTimeout(() => {
        this.changeWaiters.delete(check);
        resolve();
      }, timeoutMs);
      this.changeWaiters.add(check);
    });
  }

  /** The high watermark a voter's fetch answer carries (remembered for its next long poll). */
  hwForVoter(replicaId: number): number {
    const p = this.voterProgress.get(replicaId);
    if (p) p.lastSentHw = this.highWatermark;
    return this.highWatermark;
  }

  private notifyChange(): void {
    for (const w of [...this.changeWaiters]) w();
  }

  /** Subscribe to high watermark advances. */
  onHighWatermark(listener: (hw: number) => void): () => void {
    this.hwListeners.add(listener);
    return () => this.hwListeners.delete(listener);
  }

  /** Resolves true once highWatermark >= offset, false on timeout, close or loss of leadership. */
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

  private failWaiters(): void {
    for (const w of this.hwWaiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(false);
    }
    this.hwWaiters = [];
  }

  /** Committed batches from `offset` (raw v2 batch bytes), at most about maxBytes. */
  async readCommitted(offset: number, maxBytes: number): Promise<RaftReadResult> {
    return this.readUpTo(offset, maxBytes, this.highWatermark);
  }

  /** Batches from `offset` up to the log end (what a voter replicates). */
  async readUncommitted(offset: number, maxBytes: number): Promise<RaftReadResult> {
    return this.readUpTo(offset, maxBytes, this.opts.log.logEndOffset);
  }

  private async readUpTo(offset: number, maxBytes: number, limit: number): Promise<RaftReadResult> {
    if (limit < 0 || offset >= limit) return { chunks: [], bytes: 0 };
    const res = await this.opts.log.read(offset, maxBytes, { maxOffset: limit, minOneBatch: true });
    return { chunks: res?.chunks ?? [], bytes: res?.bytes ?? 0 };
  }

  /** End offset of `epoch` in our log (for a fetcher's last-fetched-epoch divergence check). */
  async endOffsetForEpoch(epoch: number): Promise<{ epoch: number; endOffset: number } | null> {
    const r = await this.opts.log.endOffsetForEpoch(epoch);
    return r ?? null;
  }

  private async latestLogEpoch(): Promise<number> {
    if (this.opts.log.logEndOffset === 0) return 0;
    const snap = this.latestSnapshot();
    // A log restarted at a snapshot's end offset holds nothing of its own yet: it ends with the snapshot's epoch.
    if (snap && this.opts.log.logEndOffset <= snap.endOffset) return snap.epoch;
    const latest = this.opts.log.latestEpoch;
    if (typeof latest === 'number') return Math.max(0, latest);
    if (this.lastEpochCache >= 0) return this.lastEpochCache;
    // Without the getter: asking for a huge epoch yields the latest epoch the log knows.
    const r = await this.opts.log.endOffsetForEpoch(0x7fffffff);
    this.lastEpochCache = r && r.epoch >= 0 ? r.epoch : 0;
    return this.lastEpochCache;
  }

  /** DescribeQuorum view of the partition. */
  describe(): {
    leaderId: number;
    leaderEpoch: number;
    highWatermark: number;
    voters: ReplicaProgress[];
    observers: ReplicaProgress[];
  } {
    const strip = (p: ReplicaProgress): ReplicaProgress => ({
      replicaId: p.replicaId,
      logEndOffset: p.replicaId === this.nodeId && this.role === 'leader' ? this.opts.log.logEndOffset : p.logEndOffset,
      lastFetchTimestamp: p.lastFetchTimestamp,
      lastCaughtUpTimestamp: p.lastCaughtUpTimestamp,
    });
    return {
      leaderId: this.leaderId,
      leaderEpoch: this.epoch,
      highWatermark: this.highWatermark,
      voters: [...this.voterProgress.values()].map(strip),
      observers: [...this.observerProgress.values()].map(strip),
    };
  }

  /**
   * Graceful resignation (before close on shutdown): a leader of a multi-voter quorum tells the
   * others with EndQuorumEpoch, the most caught-up voters first, so they elect without waiting for
   * the fetch timeout.
   */
  async resign(timeoutMs = 1000): Promise<void> {
    if (this.role !== 'leader' || this.closed || this.opts.voters.length === 1) return;
    const epoch = this.epoch;
    const preferred = [...this.voterProgress.values()]
      .filter((p) => p.replicaId !== this.nodeId)
      .sort((a, b) => b.logEndOffset - a.logEndOffset)
      .map((p) => p.replicaId);
    this.transition('resigned', epoch, this.nodeId, this.votedId);
    await Promise.all(
      preferred.map((id) =>
        this.sendRaft(id, 'rpc', ApiKey.EndQuorumEpoch, 0, {
          clusterId: this.opts.clusterId ?? null,
          topics: [
            {
              topicName: METADATA_TOPIC,
              partitions: [{ partitionIndex: METADATA_PARTITION, leaderId: this.nodeId, leaderEpoch: epoch, preferredSuccessors: preferred }],
            },
          ],
        }, timeoutMs).catch(() => undefined),
      ),
    );
  }

  /** Step down: pending waiters resolve false; the persisted state keeps the epoch. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.clearTimer();
    if (this.checkQuorumTimer) clearInterval(this.checkQuorumTimer);
    this.checkQuorumTimer = null;
    this.role = 'resigned';
    this.failWaiters();
    this.notifyChange();
    await this.appendChain.catch(() => undefined);
    await this.opts.transport?.close().catch(() => undefined);
  }
}
