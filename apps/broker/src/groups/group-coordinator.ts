// The classic (pre-KIP-848) group coordinator: JoinGroup/SyncGroup/Heartbeat/LeaveGroup rebalancing, committed
// offsets, and the group admin operations, for the groups whose __consumer_offsets partition this broker leads.
//
// It follows Kafka's GroupCoordinator state machine:
//   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance --leader sync--> Stable
//   Stable / CompletingRebalance --join, leave, expiry--> PreparingRebalance; no members left -> Empty;
//   deleted, expired or unloaded -> Dead.
// Requests that must wait (JoinGroup until the rebalance completes, SyncGroup until the leader's assignment)
// are parked as promises on the member and resolved by the state machine. Durable state (offsets, the group
// and its assignment) goes to __consumer_offsets through a GroupLogWriter; the coordinator itself is pure
// and driven by an injectable Clock, so every timeout is unit-testable.
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from './clock';
import { parseSubscriptionTopics } from './consumer-protocol';
import { AppendError, GroupErr, mapAppendError } from './group-errors';
import {
  GroupMetadata,
  MemberMetadata,
  offsetKey,
  splitOffsetKey,
  type CommittedOffset,
  type GroupProtocol,
  type GroupState,
  type JoinGroupResult,
  type SyncGroupResult,
} from './group-metadata';
import { partitionForKey } from './java-hash';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  type StoredGroup,
} from './offsets-records';

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  offsetsTopicNumPartitions: number;
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** How long a brand-new member may sit in a stalled rebalance before it is dropped (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  offsetMetadataMaxBytes: 4_096,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  newMemberJoinTimeoutMs: 300_000,
};

export interface OffsetsLogRecord {
  key: Buffer;
  /** null = tombstone. */
  value: Buffer | null;
}

/** Durable side of the coordinator: appends to one __consumer_offsets partition as its leader. */
export interface GroupLogWriter {
  /**
   * Append the records atomically (one batch) and resolve once they are committed. Reject with an AppendError
   * carrying the Kafka error code when the append fails.
   */
  append(partition: number, records: OffsetsLogRecord[], timestamp: number): Promise<void>;
}

/** Optional observers (metrics, logs). */
export interface GroupCoordinatorHooks {
  onRebalance?(groupId: string, reason: string): void;
  onCommit?(groupId: string, partitions: number, latencyMs: number, errorCode: number): void;
  onOffsetsExpired?(count: number): void;
  log?(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means "same as the session timeout". */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** JoinGroup v4+: an unknown member first gets MEMBER_ID_REQUIRED with its id (KIP-394). */
  requireKnownMemberId: boolean;
  reason?: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveGroupOutcome {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1 only; -1 = use the broker's time. */
  commitTimestamp: number;
}

export interface OffsetCommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4 retention_time_ms; -1 = broker default (group-based expiry). */
  retentionTimeMs: number;
  offsets: OffsetCommitEntry[];
}

export interface OffsetCommitOutcome {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface FetchedOffset {
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchOutcome {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
}

export interface OffsetDeleteOutcome {
  errorCode: number;
  topics: { name: string; partitions: { partition: number; errorCode: number }[] }[];
}

/** Snapshot of one group for metrics and tools. */
export interface GroupSnapshot {
  groupId: string;
  state: GroupState;
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  members: number;
  offsets: { topic: string; partition: number; offset: bigint }[];
  assignments: { memberId: string; assignment: Buffer }[];
}

type Api = 'join' | 'sync' | 'heartbeat' | 'leave' | 'commit' | 'fetch' | 'describe' | 'delete' | 'offset-delete';

const EMPTY = Buffer.alloc(0);

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    memberId,
    members: [],
    skipAssignment: false,
  };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

interface PartitionState {
  status: 'loading' | 'active';
  /** Changes on every (re)load so a stale loader cannot install state. */
  token: number;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, GroupMetadata>();
  private readonly partitions = new Map<number, PartitionState>();
  private nextToken = 1;
  private expiryTimer: TimerHandle | null = null;
  private shutDown = false;

  constructor(
    readonly config: GroupCoordinatorConfig,
    private readonly clock: Clock,
    private readonly writer: GroupLogWriter,
    private readonly hooks: GroupCoordinatorHooks = {},
  ) {}

  // -------------------------------------------------------------------------------------------------------
  // Ownership of __consumer_offsets partitions

  partitionFor(groupId: string): number {
    return partitionForKey(groupId, this.config.offsetsTopicNumPartitions);
  }

  /**
   * The offsets topic exists with another partition count than configured: like Kafka, place groups by the
   * topic's real count (a changed offsets.topic.num.partitions must not move existing groups). Unloads everything.
   */
  adoptOffsetsTopicPartitions(n: number): void {
    if (n <= 0 || n === this.config.offsetsTopicNumPartitions) return;
    for (const p of [...this.partitions.keys()]) this.unloadPartition(p);
    this.config.offsetsTopicNumPartitions = n;
  }

  /** The partitions this coordinator leads (loaded or loading). */
  ownedPartitions(): number[] {
    return [...this.partitions.keys()].sort((a, b) => a - b);
  }

  isLoading(partition: number): boolean {
    return this.partitions.get(partition)?.status === 'loading';
  }

  isActive(partition: number): boolean {
    return this.partitions.get(partition)?.status === 'active';
  }

  /**
   * This broker became leader of `partition`: until the returned loader completes, requests for its groups get
   * COORDINATOR_LOAD_IN_PROGRESS. Feed the partition's records in log order, then call complete().
   */
  beginLoad(partition: number): GroupLoader {
    this.dropGroupsOf(partition, GroupErr.NOT_COORDINATOR);
    const token = this.nextToken++;
    this.partitions.set(partition, { status: 'loading', token });
    this.ensureExpiryTimer();
    return new GroupLoader(this, partition, token);
  }

  /** This broker no longer leads `partition`: forget its groups; parked requests get NOT_COORDINATOR. */
  unloadPartition(partition: number): void {
    this.partitions.delete(partition);
    this.dropGroupsOf(partition, GroupErr.NOT_COORDINATOR);
  }

  /** Stop all timers and answer parked requests (broker shutdown). */
  shutdown(): void {
    this.shutDown = true;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    for (const p of [...this.partitions.keys()]) this.unloadPartition(p);
  }

  /** @internal installs the result of a finished load. */
  installLoaded(partition: number, token: number, groups: GroupMetadata[]): boolean {
    const st = this.partitions.get(partition);
    if (!st || st.token !== token || st.status !== 'loading') return false;
    for (const g of groups) {
      this.groups.set(g.groupId, g);
      for (const m of g.members.values()) this.scheduleHeartbeat(g, m, m.sessionTimeoutMs);
    }
    st.status = 'active';
    if (groups.length > 0) this.log('info', `loaded ${groups.length} group(s) from __consumer_offsets-${partition}`);
    return true;
  }

  private dropGroupsOf(partition: number, errorCode: number): void {
    for (const g of [...this.groups.values()]) {
      if (this.partitionFor(g.groupId) !== partition) continue;
      this.groups.delete(g.groupId);
      this.cancelGroupTimers(g);
      for (const m of g.members.values()) {
        m.heartbeatTimer?.cancel();
        m.heartbeatTimer = null;
        this.resolveJoin(m, joinError(m.memberId, errorCode));
        this.resolveSync(m, syncError(errorCode));
      }
      for (const t of g.pendingMemberTimers.values()) t.cancel();
      g.pendingMemberTimers.clear();
      g.state = 'Dead';
    }
  }

  private validateGroupStatus(groupId: string | null, api: Api): number {
    // Offset and admin APIs accept the empty group id (old clients commit under ""); membership APIs don't.
    const emptyAllowed = api === 'commit' || api === 'fetch' || api === 'describe' || api === 'delete';
    if (groupId === null || (!emptyAllowed && groupId.length === 0)) return GroupErr.INVALID_GROUP_ID;
    const st = this.partitions.get(this.partitionFor(groupId));
    if (!st) return GroupErr.NOT_COORDINATOR;
    if (st.status === 'loading') return GroupErr.COORDINATOR_LOAD_IN_PROGRESS;
    return GroupErr.NONE;
  }

  private getOrCreateGroup(groupId: string): GroupMetadata {
    let g = this.groups.get(groupId);
    if (!g) {
      g = new GroupMetadata(groupId, this.clock.now());
      this.groups.set(groupId, g);
    }
    return g;
  }

  // -------------------------------------------------------------------------------------------------------
  // JoinGroup

  async joinGroup(req: JoinGroupParams): Promise<JoinGroupResult> {
    const status = this.validateGroupStatus(req.groupId, 'join');
    if (status !== GroupErr.NONE) return joinError(req.memberId, status);
    if (req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return joinError(req.memberId, GroupErr.INVALID_SESSION_TIMEOUT);
    }
    const isUnknownMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    let created = false;
    if (!group) {
      // A known member id for a group we don't have means the group expired or moved.
      if (!isUnknownMember) return joinError(req.memberId, GroupErr.UNKNOWN_MEMBER_ID);
      group = this.getOrCreateGroup(req.groupId);
      created = true;
    }
    if (!this.acceptJoiningMember(group, req.memberId)) {
      const existing = group.get(req.memberId);
      if (existing) this.removeMemberAndUpdateGroup(group, existing, 'group is full');
      return joinError('', GroupErr.GROUP_MAX_SIZE_REACHED);
    }
    const normalized: JoinGroupParams = {
      ...req,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    };
    const result = isUnknownMember ? this.doNewMemberJoin(group, normalized) : this.doCurrentMemberJoin(group, normalized);
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
    if (created) {
      // A group created by a join that failed right away (e.g. no protocols) should not linger as "Empty".
      const g = group;
      void result.then((r) => {
        if (r.errorCode !== GroupErr.NONE && this.isDisposable(g)) this.groups.delete(g.groupId);
      });
    }
    return result;
  }

  /** A never-used group: no members, no pending ids, no offsets, no generation yet. */
  private isDisposable(group: GroupMetadata): boolean {
    return (
      this.groups.get(group.groupId) === group &&
      group.is('Empty') &&
      group.size === 0 &&
      group.pendingMembers.size === 0 &&
      !group.hasOffsets() &&
      group.generationId === 0
    );
  }

  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    const max = this.config.groupMaxSize;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const m = group.get(memberId);
        return (m !== undefined && m.isAwaitingJoin) || group.numAwaitingJoin < max;
      }
      default:
        return group.has(memberId) || group.size < max;
    }
  }

  private doNewMemberJoin(group: GroupMetadata, req: JoinGroupParams): Promise<JoinGroupResult> {
    if (group.is('Dead')) return Promise.resolve(joinError('', GroupErr.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return Promise.resolve(joinError('', GroupErr.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) return this.doStaticMemberJoin(group, newMemberId, req);
    if (req.requireKnownMemberId) {
      // KIP-394: hand out the id first, so a client that times out and retries doesn't leave ghosts behind.
      group.pendingMembers.add(newMemberId);
      const timer = this.clock.schedule(req.sessionTimeoutMs, () => this.onPendingMemberExpired(group, newMemberId));
      group.pendingMemberTimers.set(newMemberId, timer);
      return Promise.resolve(joinError(newMemberId, GroupErr.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, newMemberId, req);
  }

  private doStaticMemberJoin(group: GroupMetadata, newMemberId: string, req: JoinGroupParams): Promise<JoinGroupResult> {
    const instanceId = req.groupInstanceId!;
    const oldMemberId = group.currentStaticMemberId(instanceId);
    if (oldMemberId === undefined) return this.addMemberAndRebalance(group, newMemberId, req);
    const member = group.get(oldMemberId)!;
    // The same instance came back with a new member id: fence whatever the old incarnation is waiting for.
    this.resolveJoin(member, joinError(oldMemberId, GroupErr.FENCED_INSTANCE_ID));
    this.resolveSync(member, syncError(GroupErr.FENCED_INSTANCE_ID));
    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
      clientId: member.clientId,
      clientHost: member.clientHost,
    };
    group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.scheduleHeartbeat(group, member, req.sessionTimeoutMs);
    switch (group.state) {
      case 'Stable': {
        this.updateMember(member, req);
        const selected = group.selectProtocolSafe();
        if (selected !== group.protocolName) {
          return this.updateMemberAndRebalance(group, member, req, `static member ${instanceId} rejoined with different protocols`);
        }
        // Nothing the assignment depends on changed: hand back the current generation without a rebalance.
        return this.storeGroup(group).then((err) => {
          if (err !== GroupErr.NONE) {
            if (group.get(newMemberId) === member) {
              group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
              Object.assign(member, old);
            }
            return joinError('', err);
          }
          return {
            errorCode: GroupErr.NONE,
            generationId: group.generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leader: group.leaderId ?? '',
            memberId: newMemberId,
            members: [],
            skipAssignment: false,
          };
        });
      }
      case 'CompletingRebalance':
      case 'PreparingRebalance':
      case 'Empty':
        return this.updateMemberAndRebalance(group, member, req, `static member ${instanceId} rejoined during ${group.state}`);
      case 'Dead':
      default:
        return Promise.resolve(joinError('', GroupErr.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private doCurrentMemberJoin(group: GroupMetadata, req: JoinGroupParams): Promise<JoinGroupResult> {
    const memberId = req.memberId;
    if (group.is('Dead')) return Promise.resolve(joinError(memberId, GroupErr.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return Promise.resolve(joinError(memberId, GroupErr.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(memberId)) {
      // Second half of the MEMBER_ID_REQUIRED round trip.
      if (req.groupInstanceId !== null) return Promise.resolve(joinError(memberId, GroupErr.UNKNOWN_MEMBER_ID));
      group.pendingMemberTimers.get(memberId)?.cancel();
      group.pendingMemberTimers.delete(memberId);
      return this.addMemberAndRebalance(group, memberId, req);
    }
    const memberError = this.validateCurrentMember(group, memberId, req.groupInstanceId);
    if (memberError !== GroupErr.NONE) return Promise.resolve(joinError(memberId, memberError));
    const member = group.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, `member ${memberId} rejoined`);
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) {
          // The member lost the JoinGroup response (e.g. a retry): send the same one again.
          return Promise.resolve(this.currentJoinResult(group, member));
        }
        return this.updateMemberAndRebalance(group, member, req, `member ${memberId} changed protocols during CompletingRebalance`);
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(req.protocols)) {
          // The leader rejoining means it wants a new assignment (e.g. metadata changed); a protocol change does too.
          return this.updateMemberAndRebalance(group, member, req, `member ${memberId} rejoined a stable group`);
        }
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return Promise.resolve(this.currentJoinResult(group, member));
      case 'Empty':
      case 'Dead':
      default:
        return Promise.resolve(joinError(memberId, GroupErr.UNKNOWN_MEMBER_ID));
    }
  }

  private currentJoinResult(group: GroupMetadata, member: MemberMetadata): JoinGroupResult {
    return {
      errorCode: GroupErr.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: group.isLeader(member.memberId) ? group.currentMemberMetadata() : [],
      skipAssignment: false,
    };
  }

  private validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined) return GroupErr.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return GroupErr.FENCED_INSTANCE_ID;
    }
    return group.has(memberId) ? GroupErr.NONE : GroupErr.UNKNOWN_MEMBER_ID;
  }

  private isStaticMemberFenced(group: GroupMetadata, groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = group.currentStaticMemberId(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  private updateMember(member: MemberMetadata, req: JoinGroupParams): void {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
  }

  private addMemberAndRebalance(group: GroupMetadata, memberId: string, req: JoinGroupParams): Promise<JoinGroupResult> {
    const member = new MemberMetadata(
      memberId,
      req.groupInstanceId,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.isNew = true;
    // During the initial delay every newcomer extends the wait once more (bounded by the rebalance timeout).
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    const result = this.awaitJoin(member);
    // A new member cannot heartbeat until it has a JoinGroup response; drop it if the rebalance stalls for long.
    // (Scheduled first: completing the join right away below replaces it with the session timeout.)
    this.scheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(group, `new member ${memberId} joined`);
    return result;
  }

  private updateMemberAndRebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    req: JoinGroupParams,
    reason: string,
  ): Promise<JoinGroupResult> {
    this.updateMember(member, req);
    const result = this.awaitJoin(member);
    this.maybePrepareRebalance(group, reason);
    return result;
  }

  private awaitJoin(member: MemberMetadata): Promise<JoinGroupResult> {
    // A member can only have one JoinGroup parked; an older one (a client retry) is told to rejoin.
    this.resolveJoin(member, joinError(member.memberId, GroupErr.REBALANCE_IN_PROGRESS));
    return new Promise<JoinGroupResult>((resolve) => {
      member.joinWaiter = resolve;
    });
  }

  private resolveJoin(member: MemberMetadata, result: JoinGroupResult): boolean {
    const w = member.joinWaiter;
    if (!w) return false;
    member.joinWaiter = null;
    w(result);
    return true;
  }

  private resolveSync(member: MemberMetadata, result: SyncGroupResult): boolean {
    const w = member.syncWaiter;
    if (!w) return false;
    member.syncWaiter = null;
    w(result);
    return true;
  }

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    // Anyone waiting for an assignment of the generation being abandoned must rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, GroupErr.REBALANCE_IN_PROGRESS);
    group.syncTimer?.cancel();
    group.syncTimer = null;
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.clock.now());
    this.hooks.onRebalance?.(group.groupId, reason);
    this.log('info', `preparing to rebalance group ${group.groupId} in generation ${group.generationId} (${reason})`);
    group.joinTimer?.cancel();
    if (initial && this.config.groupInitialRebalanceDelayMs > 0) {
      const delay = this.config.groupInitialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0);
      this.scheduleInitialDelay(group, delay, remaining);
    } else {
      group.joinTimerIsInitialDelay = false;
      group.joinTimer = this.clock.schedule(group.rebalanceTimeoutMs, () => this.onJoinTimeout(group));
      this.tryCompleteJoin(group);
    }
  }

  private scheduleInitialDelay(group: GroupMetadata, delay: number, remaining: number): void {
    group.joinTimerIsInitialDelay = true;
    group.newMemberAdded = false;
    group.joinTimer = this.clock.schedule(delay, () => {
      group.joinTimer = null;
      if (!group.is('PreparingRebalance')) return;
      if (group.newMemberAdded && remaining !== 0) {
        const next = Math.min(this.config.groupInitialRebalanceDelayMs, remaining);
        this.scheduleInitialDelay(group, next, Math.max(remaining - next, 0));
      } else {
        this.onCompleteJoin(group);
      }
    });
  }

  private onJoinTimeout(group: GroupMetadata): void {
    group.joinTimer = null;
    if (group.is('PreparingRebalance')) this.onCompleteJoin(group);
  }

  /** Complete the join phase early once every member has rejoined (never during the initial delay). */
  private tryCompleteJoin(group: GroupMetadata): void {
    if (!group.is('PreparingRebalance') || group.joinTimerIsInitialDelay) return;
    if (group.hasAllMembersJoined()) this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: GroupMetadata): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.joinTimerIsInitialDelay = false;
    // Dynamic members that did not rejoin in time are out; static ones keep their slot until their session ends.
    for (const m of group.notYetRejoinedMembers()) {
      if (m.isStatic) continue;
      m.heartbeatTimer?.cancel();
      m.heartbeatTimer = null;
      this.resolveSync(m, syncError(GroupErr.UNKNOWN_MEMBER_ID));
      group.remove(m.memberId);
    }
    if (group.is('Dead')) return;
    if (!this.maybeElectNewJoinedLeader(group) && group.size > 0) {
      // Only static members that haven't rejoined remain: wait another round; session expiry will clean up.
      this.log('warn', `group ${group.groupId}: no member rejoined; waiting another rebalance timeout`);
      group.joinTimer = this.clock.schedule(group.rebalanceTimeoutMs, () => this.onJoinTimeout(group));
      return;
    }
    this.initNextGeneration(group);
    if (group.is('Empty')) {
      this.log('info', `group ${group.groupId} with generation ${group.generationId} is now empty`);
      void this.storeGroup(group);
      return;
    }
    this.log(
      'info',
      `stabilized group ${group.groupId} generation ${group.generationId} (protocol ${group.protocolName}) with ${group.size} member(s)`,
    );
    for (const m of group.members.values()) {
      this.resolveJoin(m, this.currentJoinResult(group, m));
      m.isNew = false;
      this.scheduleHeartbeat(group, m, m.sessionTimeoutMs);
      group.pendingSyncMembers.add(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  private maybeElectNewJoinedLeader(group: GroupMetadata): boolean {
    if (group.leaderId !== null) {
      const leader = group.get(group.leaderId);
      if (leader && leader.isAwaitingJoin) return true;
    }
    for (const m of group.members.values()) {
      if (m.isAwaitingJoin) {
        group.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  private initNextGeneration(group: GroupMetadata): void {
    group.generationId++;
    group.pendingSyncMembers.clear();
    if (group.size > 0) {
      group.protocolName = group.selectProtocol();
      group.subscribedTopics = this.computeSubscribedTopics(group);
      group.transitionTo('CompletingRebalance', this.clock.now());
    } else {
      group.protocolName = null;
      group.leaderId = null;
      group.subscribedTopics = new Set();
      group.transitionTo('Empty', this.clock.now());
    }
  }

  private computeSubscribedTopics(group: GroupMetadata): Set<string> | null {
    if (group.protocolType !== 'consumer' || group.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of group.members.values()) {
      const t = parseSubscriptionTopics(m.metadataFor(group.protocolName));
      if (t === null) return null;
      for (const x of t) topics.add(x);
    }
    return topics;
  }

  private schedulePendingSync(group: GroupMetadata): void {
    group.syncTimer?.cancel();
    const generation = group.generationId;
    group.syncTimer = this.clock.schedule(group.rebalanceTimeoutMs, () => {
      group.syncTimer = null;
      if (group.generationId !== generation) return;
      if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
      if (group.pendingSyncMembers.size === 0) return;
      // Members that got a JoinGroup response but never came back with SyncGroup are gone.
      const missing = [...group.pendingSyncMembers];
      this.log('info', `group ${group.groupId}: removing ${missing.length} member(s) that did not send SyncGroup in time`);
      for (const id of missing) {
        const m = group.get(id);
        if (!m) continue;
        m.heartbeatTimer?.cancel();
        m.heartbeatTimer = null;
        group.remove(id);
      }
      this.prepareRebalance(group, 'members did not sync in time');
    });
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) {
      group.syncTimer?.cancel();
      group.syncTimer = null;
    }
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, errorCode: number): void {
    for (const m of group.members.values()) {
      m.assignment = EMPTY;
      if (this.resolveSync(m, syncError(errorCode))) this.scheduleHeartbeat(group, m, m.sessionTimeoutMs);
    }
  }

  private setAndPropagateAssignment(group: GroupMetadata, assignments: Map<string, Buffer>): void {
    for (const m of group.members.values()) {
      m.assignment = assignments.get(m.memberId) ?? EMPTY;
      this.resolveSync(m, {
        errorCode: GroupErr.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: m.assignment,
      });
      // Expiry was suspended while members waited for the leader, so give everyone a fresh session now.
      this.scheduleHeartbeat(group, m, m.sessionTimeoutMs);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // SyncGroup

  async syncGroup(req: SyncGroupParams): Promise<SyncGroupResult> {
    const status = this.validateGroupStatus(req.groupId, 'sync');
    // While loading, the rebalance state is lost anyway: REBALANCE_IN_PROGRESS sends the member back to
    // JoinGroup without a coordinator lookup (older clients don't expect COORDINATOR_LOAD_IN_PROGRESS here).
    if (status === GroupErr.COORDINATOR_LOAD_IN_PROGRESS) return syncError(GroupErr.REBALANCE_IN_PROGRESS);
    if (status !== GroupErr.NONE) return syncError(status);
    const group = this.groups.get(req.groupId);
    if (!group) return syncError(GroupErr.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return syncError(GroupErr.COORDINATOR_NOT_AVAILABLE);
    const memberError = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (memberError !== GroupErr.NONE) return syncError(memberError);
    if (req.generationId !== group.generationId) return syncError(GroupErr.ILLEGAL_GENERATION);
    if (
      (req.protocolType !== null && req.protocolType !== group.protocolType) ||
      (req.protocolName !== null && req.protocolName !== group.protocolName)
    ) {
      return syncError(GroupErr.INCONSISTENT_GROUP_PROTOCOL);
    }
    const member = group.get(req.memberId)!;
    switch (group.state) {
      case 'Empty':
        return syncError(GroupErr.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return syncError(GroupErr.REBALANCE_IN_PROGRESS);
      case 'CompletingRebalance': {
        this.resolveSync(member, syncError(GroupErr.REBALANCE_IN_PROGRESS));
        const result = new Promise<SyncGroupResult>((resolve) => {
          member.syncWaiter = resolve;
        });
        this.removePendingSyncMember(group, member.memberId);
        if (group.isLeader(member.memberId)) {
          const assignments = new Map<string, Buffer>();
          for (const a of req.assignments) assignments.set(a.memberId, a.assignment);
          const generation = group.generationId;
          void this.storeGroup(group, assignments).then((err) => {
            // The group may have moved on while the write was in flight; then there is nothing to deliver.
            if (!group.is('CompletingRebalance') || group.generationId !== generation || this.groups.get(group.groupId) !== group) return;
            if (err !== GroupErr.NONE) {
              this.resetAndPropagateAssignmentError(group, err);
              this.maybePrepareRebalance(group, `failed to persist the assignment (error ${err})`);
            } else {
              this.setAndPropagateAssignment(group, assignments);
              group.transitionTo('Stable', this.clock.now());
            }
          });
        }
        return result;
      }
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId);
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return {
          errorCode: GroupErr.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        };
      default:
        return syncError(GroupErr.COORDINATOR_NOT_AVAILABLE);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Heartbeat

  heartbeat(req: HeartbeatParams): number {
    const status = this.validateGroupStatus(req.groupId, 'heartbeat');
    // During a load the member's state is unknown; answering NONE keeps it going until it learns more.
    if (status === GroupErr.COORDINATOR_LOAD_IN_PROGRESS) return GroupErr.NONE;
    if (status !== GroupErr.NONE) return status;
    const group = this.groups.get(req.groupId);
    if (!group) return GroupErr.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return GroupErr.COORDINATOR_NOT_AVAILABLE;
    if (this.isStaticMemberFenced(group, req.groupInstanceId, req.memberId)) return GroupErr.FENCED_INSTANCE_ID;
    const member = group.get(req.memberId);
    if (!member) return GroupErr.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return GroupErr.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
        return GroupErr.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return GroupErr.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return GroupErr.NONE;
      default:
        return GroupErr.COORDINATOR_NOT_AVAILABLE;
    }
  }

  private scheduleHeartbeat(group: GroupMetadata, member: MemberMetadata, timeoutMs: number): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = this.clock.schedule(timeoutMs, () => this.onHeartbeatExpired(group, member));
  }

  private onHeartbeatExpired(group: GroupMetadata, member: MemberMetadata): void {
    member.heartbeatTimer = null;
    if (group.get(member.memberId) !== member || this.groups.get(group.groupId) !== group) return;
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) {
      // Parked in JoinGroup/SyncGroup counts as alive; the rebalance timeouts bound how long that lasts.
      this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
      return;
    }
    this.log('info', `member ${member.memberId} in group ${group.groupId} has failed (session timeout), removing it`);
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session expired`);
  }

  private onPendingMemberExpired(group: GroupMetadata, memberId: string): void {
    group.pendingMemberTimers.delete(memberId);
    if (!group.pendingMembers.delete(memberId)) return;
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    this.resolveJoin(member, joinError(member.memberId, GroupErr.UNKNOWN_MEMBER_ID));
    this.resolveSync(member, syncError(GroupErr.UNKNOWN_MEMBER_ID));
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = null;
    group.remove(member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // LeaveGroup

  leaveGroup(groupId: string, members: LeaveGroupMember[]): LeaveGroupOutcome {
    const status = this.validateGroupStatus(groupId, 'leave');
    if (status !== GroupErr.NONE) return { errorCode: status, members: [] };
    const group = this.groups.get(groupId);
    if (!group) {
      return {
        errorCode: GroupErr.NONE,
        members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: GroupErr.UNKNOWN_MEMBER_ID })),
      };
    }
    if (group.is('Dead')) return { errorCode: GroupErr.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: LeaveGroupOutcome['members'] = [];
    for (const m of members) {
      out.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: this.leaveOne(group, m) });
    }
    return { errorCode: GroupErr.NONE, members: out };
  }

  private leaveOne(group: GroupMetadata, m: LeaveGroupMember): number {
    const reason = `member ${m.memberId || m.groupInstanceId} left${m.reason ? ` (${m.reason})` : ''}`;
    if (m.memberId === '' && m.groupInstanceId !== null) {
      // Admin removal of a static member by instance id only.
      const id = group.currentStaticMemberId(m.groupInstanceId);
      if (id === undefined) return GroupErr.UNKNOWN_MEMBER_ID;
      this.removeMemberAndUpdateGroup(group, group.get(id)!, reason);
      return GroupErr.NONE;
    }
    if (group.isPendingMember(m.memberId)) {
      group.pendingMembers.delete(m.memberId);
      group.pendingMemberTimers.get(m.memberId)?.cancel();
      group.pendingMemberTimers.delete(m.memberId);
      this.tryCompleteJoin(group);
      return GroupErr.NONE;
    }
    if (this.isStaticMemberFenced(group, m.groupInstanceId, m.memberId)) return GroupErr.FENCED_INSTANCE_ID;
    const member = group.get(m.memberId);
    if (!member) return GroupErr.UNKNOWN_MEMBER_ID;
    this.log('info', `${reason} from group ${group.groupId}`);
    this.removeMemberAndUpdateGroup(group, member, reason);
    return GroupErr.NONE;
  }

  // -------------------------------------------------------------------------------------------------------
  // Offsets

  async commitOffsets(req: OffsetCommitParams): Promise<OffsetCommitOutcome[]> {
    const all = (code: number): OffsetCommitOutcome[] => req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: code }));
    const status = this.validateGroupStatus(req.groupId, 'commit');
    if (status !== GroupErr.NONE) return all(status);
    let group = this.groups.get(req.groupId);
    if (!group) {
      // No group here: fine for a client that manages its own partitions (generation -1, empty member id),
      // otherwise the commit comes from a generation this coordinator never saw.
      if (req.generationId >= 0) return all(GroupErr.ILLEGAL_GENERATION);
      group = this.getOrCreateGroup(req.groupId);
    }
    const error = this.validateOffsetCommit(group, req);
    if (error !== GroupErr.NONE) return all(error);
    // The member already knows the new generation from its JoinGroup response but has no assignment yet.
    if (group.is('CompletingRebalance')) return all(GroupErr.REBALANCE_IN_PROGRESS);
    const member = group.get(req.memberId);
    if (member && (group.is('Stable') || group.is('PreparingRebalance'))) {
      // A commit is proof of life, like a heartbeat.
      this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    }
    return this.storeOffsets(group, req);
  }

  private validateOffsetCommit(group: GroupMetadata, req: OffsetCommitParams): number {
    if (group.is('Dead')) return GroupErr.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const e = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
      if (e !== GroupErr.NONE) return e;
      if (req.generationId !== group.generationId) return GroupErr.ILLEGAL_GENERATION;
      return GroupErr.NONE;
    }
    // Outside-the-group commits are only allowed while nobody is a member.
    return group.is('Empty') ? GroupErr.NONE : GroupErr.UNKNOWN_MEMBER_ID;
  }

  private async storeOffsets(group: GroupMetadata, req: OffsetCommitParams): Promise<OffsetCommitOutcome[]> {
    const started = this.clock.now();
    const now = started;
    const results: OffsetCommitOutcome[] = [];
    const accepted: { entry: OffsetCommitEntry; key: string; value: CommittedOffset; index: number }[] = [];
    for (const o of req.offsets) {
      const index = results.length;
      results.push({ topic: o.topic, partition: o.partition, errorCode: GroupErr.NONE });
      const metadata = o.metadata ?? '';
      if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
        results[index].errorCode = GroupErr.OFFSET_METADATA_TOO_LARGE;
        continue;
      }
      const commitTimestamp = o.commitTimestamp >= 0 ? o.commitTimestamp : now;
      let expireTimestamp: number | null = null;
      if (req.retentionTimeMs >= 0) expireTimestamp = commitTimestamp + req.retentionTimeMs;
      else if (o.commitTimestamp >= 0) expireTimestamp = commitTimestamp + this.config.offsetsRetentionMs;
      accepted.push({
        entry: o,
        key: offsetKey(o.topic, o.partition),
        index,
        value: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp, expireTimestamp },
      });
    }
    if (accepted.length === 0) return results;
    const records = accepted.map((a) => ({
      key: encodeOffsetCommitKey(group.groupId, a.entry.topic, a.entry.partition),
      value: encodeOffsetCommitValue(a.value),
    }));
    for (const a of accepted) group.addPendingCommit(a.key);
    const code = await this.append(this.partitionFor(group.groupId), records, now);
    for (const a of accepted) {
      group.removePendingCommit(a.key);
      if (code === GroupErr.NONE && !group.is('Dead')) group.offsets.set(a.key, a.value);
      results[a.index].errorCode = code;
    }
    this.hooks.onCommit?.(group.groupId, accepted.length, this.clock.now() - started, code);
    return results;
  }

  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null): OffsetFetchOutcome {
    const status = this.validateGroupStatus(groupId, 'fetch');
    if (status !== GroupErr.NONE) return { errorCode: status, topics: [] };
    const group = this.groups.get(groupId);
    const offsets = group && !group.is('Dead') ? group.offsets : new Map<string, CommittedOffset>();
    const toFetched = (partition: number, o: CommittedOffset | undefined): FetchedOffset =>
      o
        ? { partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: GroupErr.NONE }
        : // Kafka's "no offset": -1 with empty metadata and no error.
          { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: GroupErr.NONE };
    if (topics === null) {
      const byTopic = new Map<string, FetchedOffset[]>();
      for (const [key, o] of offsets) {
        const { topic, partition } = splitOffsetKey(key);
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(toFetched(partition, o));
      }
      return {
        errorCode: GroupErr.NONE,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partition - b.partition) })),
      };
    }
    return {
      errorCode: GroupErr.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => toFetched(p, offsets.get(offsetKey(t.name, p)))),
      })),
    };
  }

  async deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<OffsetDeleteOutcome> {
    const status = this.validateGroupStatus(groupId, 'offset-delete');
    if (status !== GroupErr.NONE) return { errorCode: status, topics: [] };
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: GroupErr.GROUP_ID_NOT_FOUND, topics: [] };
    let subscribed: Set<string> | null = null;
    if (!group.is('Empty')) {
      // Offsets of an active group may only go for topics it doesn't consume, which needs the consumer protocol.
      if (group.protocolType !== 'consumer' || group.subscribedTopics === null) return { errorCode: GroupErr.NON_EMPTY_GROUP, topics: [] };
      subscribed = group.subscribedTopics;
    }
    const out: OffsetDeleteOutcome['topics'] = [];
    const records: OffsetsLogRecord[] = [];
    for (const t of topics) {
      const parts: { partition: number; errorCode: number }[] = [];
      for (const p of t.partitions) {
        if (subscribed?.has(t.name)) {
          parts.push({ partition: p, errorCode: GroupErr.GROUP_SUBSCRIBED_TO_TOPIC });
          continue;
        }
        if (group.offsets.delete(offsetKey(t.name, p))) {
          records.push({ key: encodeOffsetCommitKey(groupId, t.name, p), value: null });
        }
        parts.push({ partition: p, errorCode: GroupErr.NONE });
      }
      out.push({ name: t.name, partitions: parts });
    }
    if (records.length > 0) {
      const code = await this.append(this.partitionFor(groupId), records, this.clock.now());
      if (code !== GroupErr.NONE) return { errorCode: code, topics: [] };
    }
    return { errorCode: GroupErr.NONE, topics: out };
  }

  /** Expire old offsets and remove empty groups with no offsets left (offsets.retention.minutes). */
  async expireOffsets(): Promise<number> {
    const now = this.clock.now();
    const byPartition = new Map<number, OffsetsLogRecord[]>();
    let expiredCount = 0;
    for (const group of [...this.groups.values()]) {
      const partition = this.partitionFor(group.groupId);
      if (!this.isActive(partition)) continue;
      const expired = this.expiredOffsets(group, now);
      const records = byPartition.get(partition) ?? [];
      for (const key of expired) {
        group.offsets.delete(key);
        const { topic, partition: p } = splitOffsetKey(key);
        records.push({ key: encodeOffsetCommitKey(group.groupId, topic, p), value: null });
      }
      expiredCount += expired.length;
      if (group.is('Empty') && !group.hasOffsets() && group.size === 0) {
        group.transitionTo('Dead', now);
        this.cancelGroupTimers(group);
        this.groups.delete(group.groupId);
        records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
        this.log('info', `group ${group.groupId} removed: empty and without offsets`);
      }
      if (records.length > 0) byPartition.set(partition, records);
    }
    for (const [partition, records] of byPartition) {
      const code = await this.append(partition, records, now);
      if (code !== GroupErr.NONE) this.log('warn', `writing ${records.length} expiry tombstone(s) to __consumer_offsets-${partition} failed (error ${code})`);
    }
    if (expiredCount > 0) {
      this.hooks.onOffsetsExpired?.(expiredCount);
      this.log('info', `expired ${expiredCount} committed offset(s)`);
    }
    return expiredCount;
  }

  /**
   * A topic was deleted: its committed offsets go too (tombstones), and empty groups left without offsets are
   * removed, as Kafka does, so a re-created topic of the same name does not inherit stale positions.
   */
  async removeOffsetsOfTopic(topic: string): Promise<number> {
    const now = this.clock.now();
    const byPartition = new Map<number, OffsetsLogRecord[]>();
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      const partition = this.partitionFor(group.groupId);
      if (!this.isActive(partition)) continue;
      const records = byPartition.get(partition) ?? [];
      for (const key of [...group.offsets.keys()]) {
        const tp = splitOffsetKey(key);
        if (tp.topic !== topic) continue;
        group.offsets.delete(key);
        records.push({ key: encodeOffsetCommitKey(group.groupId, tp.topic, tp.partition), value: null });
        removed++;
      }
      if (records.length > 0 && group.is('Empty') && !group.hasOffsets()) {
        group.transitionTo('Dead', now);
        this.cancelGroupTimers(group);
        this.groups.delete(group.groupId);
        records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
      }
      if (records.length > 0) byPartition.set(partition, records);
    }
    for (const [partition, records] of byPartition) {
      const code = await this.append(partition, records, now);
      if (code !== GroupErr.NONE) this.log('warn', `writing tombstones for deleted topic ${topic} to __consumer_offsets-${partition} failed (error ${code})`);
    }
    if (removed > 0) this.log('info', `removed ${removed} committed offset(s) of deleted topic ${topic}`);
    return removed;
  }

  private expiredOffsets(group: GroupMetadata, now: number): string[] {
    const retention = this.config.offsetsRetentionMs;
    const pick = (base: (o: CommittedOffset) => number, skipTopics: Set<string> | null): string[] => {
      const out: string[] = [];
      for (const [key, o] of group.offsets) {
        if (group.pendingOffsetCommits.has(key)) continue;
        if (skipTopics && skipTopics.has(splitOffsetKey(key).topic)) continue;
        const expired = o.expireTimestamp !== null ? now >= o.expireTimestamp : now - base(o) >= retention;
        if (expired) out.push(key);
      }
      return out;
    };
    if (group.protocolType === null) {
      // Offsets-only group (standalone consumers committing with generation -1): each offset ages from its commit.
      return pick((o) => o.commitTimestamp, null);
    }
    if (group.is('Empty')) {
      // KIP-211: the clock starts when the group became empty, not at each commit.
      const since = group.currentStateTimestamp;
      return pick((o) => since ?? o.commitTimestamp, null);
    }
    if (group.protocolType === 'consumer' && group.subscribedTopics !== null && group.is('Stable')) {
      // An active consumer group keeps the offsets of the topics it still subscribes to.
      return pick((o) => o.commitTimestamp, group.subscribedTopics);
    }
    return [];
  }

  private ensureExpiryTimer(): void {
    if (this.expiryTimer || this.shutDown) return;
    this.expiryTimer = this.clock.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expiryTimer = null;
      void this.expireOffsets()
        .catch((err) => this.log('error', `offset expiry failed: ${String(err)}`))
        .finally(() => {
          if (this.partitions.size > 0) this.ensureExpiryTimer();
        });
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Admin: DescribeGroups, ListGroups, DeleteGroups

  describeGroup(groupId: string): DescribedGroup {
    const status = this.validateGroupStatus(groupId, 'describe');
    if (status !== GroupErr.NONE) {
      return { errorCode: status, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
    }
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: GroupErr.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = group.is('Stable');
    const protocol = group.protocolName ?? '';
    return {
      errorCode: GroupErr.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? protocol : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        // Metadata and assignment are only meaningful once the group is stable.
        memberMetadata: stable ? m.metadataFor(protocol) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  listGroups(statesFilter: string[] = []): { errorCode: number; groups: ListedGroup[] } {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead') || !this.isActive(this.partitionFor(g.groupId))) continue;
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
    }
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    const loading = [...this.partitions.values()].some((p) => p.status === 'loading');
    return { errorCode: loading ? GroupErr.COORDINATOR_LOAD_IN_PROGRESS : GroupErr.NONE, groups };
  }

  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    const byPartition = new Map<number, { records: OffsetsLogRecord[]; indexes: number[] }>();
    for (const groupId of groupIds) {
      const index = results.length;
      results.push({ groupId, errorCode: GroupErr.NONE });
      const status = this.validateGroupStatus(groupId, 'delete');
      if (status !== GroupErr.NONE) {
        results[index].errorCode = status;
        continue;
      }
      const group = this.groups.get(groupId);
      if (!group || group.is('Dead')) {
        results[index].errorCode = GroupErr.GROUP_ID_NOT_FOUND;
        continue;
      }
      if (!group.is('Empty')) {
        results[index].errorCode = GroupErr.NON_EMPTY_GROUP;
        continue;
      }
      group.transitionTo('Dead', this.clock.now());
      this.cancelGroupTimers(group);
      this.groups.delete(groupId);
      const partition = this.partitionFor(groupId);
      let entry = byPartition.get(partition);
      if (!entry) byPartition.set(partition, (entry = { records: [], indexes: [] }));
      for (const key of group.offsets.keys()) {
        const { topic, partition: p } = splitOffsetKey(key);
        entry.records.push({ key: encodeOffsetCommitKey(groupId, topic, p), value: null });
      }
      entry.records.push({ key: encodeGroupMetadataKey(groupId), value: null });
      entry.indexes.push(index);
    }
    for (const [partition, entry] of byPartition) {
      const code = await this.append(partition, entry.records, this.clock.now());
      for (const i of entry.indexes) results[i].errorCode = code;
    }
    return results;
  }

  // -------------------------------------------------------------------------------------------------------
  // Introspection (metrics, tests)

  snapshot(): GroupSnapshot[] {
    const out: GroupSnapshot[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      out.push({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocolName: g.protocolName,
        generationId: g.generationId,
        members: g.size,
        offsets: [...g.offsets].map(([k, o]) => ({ ...splitOffsetKey(k), offset: o.offset })),
        assignments: [...g.members.values()].map((m) => ({ memberId: m.memberId, assignment: m.assignment })),
      });
    }
    return out;
  }

  /** @internal for tests */
  group(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId);
  }

  // -------------------------------------------------------------------------------------------------------
  // Persistence

  /** Write the group's metadata (and, from the leader's SyncGroup, the new assignment). Resolves to an error code. */
  private storeGroup(group: GroupMetadata, assignments?: Map<string, Buffer>): Promise<number> {
    const value: StoredGroup = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp ?? -1,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: group.protocolName !== null ? m.metadataFor(group.protocolName) : EMPTY,
        assignment: assignments ? (assignments.get(m.memberId) ?? EMPTY) : m.assignment,
      })),
    };
    const record = { key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(value) };
    return this.append(this.partitionFor(group.groupId), [record], this.clock.now());
  }

  private async append(partition: number, records: OffsetsLogRecord[], timestamp: number): Promise<number> {
    if (!this.partitions.has(partition)) return GroupErr.NOT_COORDINATOR;
    try {
      await this.writer.append(partition, records, timestamp);
      return GroupErr.NONE;
    } catch (err) {
      const code = err instanceof AppendError ? err.code : typeof (err as any)?.code === 'number' ? (err as any).code : GroupErr.UNKNOWN_SERVER_ERROR;
      this.log('warn', `append to __consumer_offsets-${partition} failed: ${err instanceof Error ? err.message : String(err)}`);
      return mapAppendError(code);
    }
  }

  private cancelGroupTimers(group: GroupMetadata): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.syncTimer?.cancel();
    group.syncTimer = null;
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void {
    this.hooks.log?.(level, msg);
  }
}

/**
 * Rebuilds the groups of one __consumer_offsets partition from its records (in log order): the latest value
 * per key wins and tombstones delete. complete() installs the result unless the partition was unloaded or
 * reloaded meanwhile.
 */
export class GroupLoader {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly metadata = new Map<string, StoredGroup | null>();
  private skipped = 0;

  constructor(
    private readonly coordinator: GroupCoordinator,
    readonly partition: number,
    private readonly token: number,
  ) {}

  apply(key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    let k;
    try {
      k = decodeOffsetsKey(key);
    } catch {
      this.skipped++;
      return;
    }
    if (k === null) return;
    if (k.kind === 'offset') {
      let m = this.offsets.get(k.group);
      if (value === null) {
        m?.delete(offsetKey(k.topic, k.partition));
        return;
      }
      try {
        const v = decodeOffsetCommitValue(value);
        if (!m) this.offsets.set(k.group, (m = new Map()));
        m.set(offsetKey(k.topic, k.partition), v);
      } catch {
        this.skipped++;
      }
    } else {
      if (value === null) {
        this.metadata.set(k.group, null);
        return;
      }
      try {
        this.metadata.set(k.group, decodeGroupMetadataValue(value));
      } catch {
        this.skipped++;
      }
    }
  }

  /** Records that could not be decoded (reported, not fatal). */
  get skippedRecords(): number {
    return this.skipped;
  }

  complete(now: number): boolean {
    const ids = new Set<string>([...this.metadata.keys(), ...this.offsets.keys()]);
    const groups: GroupMetadata[] = [];
    for (const id of ids) {
      const meta = this.metadata.get(id) ?? null;
      const offsets = this.offsets.get(id);
      if (meta === null && (!offsets || offsets.size === 0)) continue;
      const g = new GroupMetadata(id, now);
      if (offsets) for (const [k, v] of offsets) g.offsets.set(k, v);
      if (meta) {
        g.generationId = meta.generation;
        g.protocolType = meta.protocolType.length > 0 ? meta.protocolType : null;
        g.protocolName = meta.protocol;
        g.currentStateTimestamp = meta.currentStateTimestamp >= 0 ? meta.currentStateTimestamp : null;
        for (const sm of meta.members) {
          const m = new MemberMetadata(
            sm.memberId,
            sm.groupInstanceId,
            sm.clientId,
            sm.clientHost,
            sm.rebalanceTimeoutMs,
            sm.sessionTimeoutMs,
            g.protocolType ?? '',
            g.protocolName !== null ? [{ name: g.protocolName, metadata: sm.subscription }] : [],
          );
          m.assignment = sm.assignment;
          g.add(m);
        }
        g.protocolType = meta.protocolType.length > 0 ? meta.protocolType : null;
        g.leaderId = meta.leader !== null && g.has(meta.leader) ? meta.leader : g.leaderId;
        // A group with members resumes as Stable: members keep heartbeating, or expire and trigger a rebalance.
        if (g.size > 0) g.state = 'Stable';
        if (g.protocolType === 'consumer' && g.protocolName !== null) {
          const topics = new Set<string>();
          let known = true;
          for (const m of g.members.values()) {
            const t = parseSubscriptionTopics(m.metadataFor(g.protocolName));
            if (t === null) known = false;
            else for (const x of t) topics.add(x);
          }
          g.subscribedTopics = known ? topics : null;
        }
      }
      groups.push(g);
    }
    return this.coordinator.installLoaded(this.partition, this.token, groups);
  }
}
