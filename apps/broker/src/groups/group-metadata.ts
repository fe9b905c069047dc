// In-memory model of one classic consumer group: its members, generation, selected protocol and committed
// offsets. The rules for moving between states live in group-coordinator.ts; this file keeps the data and
// the small queries Kafka's GroupMetadata offers (protocol voting, who has rejoined, static member lookup).
import type { TimerHandle } from './clock';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

/** Which states may precede each state (Kafka's validPreviousStates). */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: JoinGroupMemberInfo[];
  skipAssignment: boolean;
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Explicit expiry from an old client's retention time (OffsetCommit v1-4); null = group-based expiry. */
  expireTimestamp: number | null;
}

const EMPTY = Buffer.alloc(0);

export class MemberMetadata {
  assignment: Buffer = EMPTY;
  /** Set while a JoinGroup from this member is parked waiting for the rebalance to complete. */
  joinWaiter: ((r: JoinGroupResult) => void) | null = null;
  /** Set while a SyncGroup from this member waits for the leader's assignment. */
  syncWaiter: ((r: SyncGroupResult) => void) | null = null;
  /** A member that joined in the current rebalance and has not yet received a JoinGroup response. */
  isNew = false;
  heartbeatTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: GroupProtocol[],
  ) {}

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiter !== null;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    return p ? p.metadata : EMPTY;
  }

  /** Same protocols with the same metadata in the same order: a rejoin that changes nothing. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      if (protocols[i].name !== this.protocols[i].name) return false;
      if (!protocols[i].metadata.equals(this.protocols[i].metadata)) return false;
    }
    return true;
  }

  /** The member's most preferred protocol among the candidates every member supports. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(',')}`);
    return p.name;
  }
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitOffsetKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

export class GroupMetadata {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** When the group last changed state (ms); offsets of an Empty group expire relative to this. */
  currentStateTimestamp: number | null;
  readonly members = new Map<string, MemberMetadata>();
  /** group.instance.id -> current member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined with them yet. */
  readonly pendingMembers = new Set<string>();
  readonly pendingMemberTimers = new Map<string, TimerHandle>();
  /** Members that got a JoinGroup response for this generation but have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** A new member joined during the initial delay, so the delay is extended once more. */
  newMemberAdded = false;
  /** The pending join completion (initial delay or rebalance timeout) and the pending sync timeout. */
  joinTimer: TimerHandle | null = null;
  joinTimerIsInitialDelay = false;
  syncTimer: TimerHandle | null = null;
  /** Committed offsets by offsetKey(topic, partition). */
  readonly offsets = new Map<string, CommittedOffset>();
  /** Commits being written to the log, per partition (they must not be expired meanwhile). */
  readonly pendingOffsetCommits = new Map<string, number>();
  /** Topics the members subscribe to (consumer protocol only; null when unknown). */
  subscribedTopics: Set<string> | null = null;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${state}`);
    }
    this.state = state;
    this.currentStateTimestamp = now;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata | undefined {
    return this.members.get(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  currentStaticMemberId(instanceId: string): string | undefined {
    return this.staticMembers.get(instanceId);
  }

  add(member: MemberMetadata): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): MemberMetadata | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.pendingSyncMembers.delete(memberId);
    if (this.leaderId === memberId) {
      // Prefer a member that has already rejoined, so the new leader can answer in this rebalance.
      const next = [...this.members.values()].find((m) => m.isAwaitingJoin) ?? this.members.values().next().value;
      this.leaderId = next ? next.memberId : null;
    }
    return member;
  }

  /** Give a static member's slot to a new member id (the same instance restarted). */
  replaceStaticMember(instanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`static member ${instanceId} (${oldMemberId}) not found in ${this.groupId}`);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(instanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /** Largest rebalance timeout among members: how long a rebalance may wait for everyone to rejoin. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let result: string[] | undefined;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      result = result === undefined ? [...names] : result.filter((n) => names.has(n));
    }
    return new Set(result ?? []);
  }

  /**
   * Whether a member with this protocol type and protocol list may join: an empty group takes anything
   * non-empty; otherwise the type must match and at least one protocol must be shared with every member.
   */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /**
   * Pick the protocol for the next generation: each member votes for its most preferred protocol among those
   * all members support, and the most votes wins (ties go to the protocol the leader prefers most, so the
   * result is deterministic).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (candidates.size === 0) throw new Error(`group ${this.groupId}: no protocol supported by all members`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    const leader = this.leaderId ? this.members.get(this.leaderId) : undefined;
    const preference = (leader ?? this.members.values().next().value!).protocols.map((p) => p.name);
    let best: string | null = null;
    let bestVotes = -1;
    for (const name of preference) {
      const n = votes.get(name) ?? 0;
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best!;
  }

  /** selectProtocol(), or null when the members share no protocol. */
  selectProtocolSafe(): string | null {
    return this.candidateProtocols().size === 0 ? null : this.selectProtocol();
  }

  /** Member list the leader needs to compute an assignment (subscription metadata for the chosen protocol). */
  currentMemberMetadata(): JoinGroupMemberInfo[] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(protocol),
    }));
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0;
  }

  addPendingCommit(key: string): void {
    this.pendingOffsetCommits.set(key, (this.pendingOffsetCommits.get(key) ?? 0) + 1);
  }

  removePendingCommit(key: string): void {
    const n = (this.pendingOffsetCommits.get(key) ?? 0) - 1;
    if (n <= 0) this.pendingOffsetCommits.delete(key);
    else this.pendingOffsetCommits.set(key, n);
  }
}
