import { encodeAssignment, encodeSubscription } from './consumer-protocol';
import { GroupErr } from './group-errors';
import type { GroupCoordinator, JoinGroupParams } from './group-coordinator';
import type { JoinGroupResult } from './group-metadata';
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsKey } from './offsets-records';
import { flush, joinParams, setupCoordinator, track } from './testing/group-test-utils';

const A1 = encodeAssignment({ t: [0, 1] });
const A2 = encodeAssignment({ t: [2] });

/** Join a single member and complete the SyncGroup, returning its member id and generation. */
async function joinAndSync(c: GroupCoordinator, over: Partial<JoinGroupParams> = {}, assignment = A1) {
  const j = await c.joinGroup(joinParams(over));
  expect(j.errorCode).toBe(GroupErr.NONE);
  const s = await c.syncGroup({
    groupId: over.groupId ?? 'g',
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId: over.groupInstanceId ?? null,
    protocolType: null,
    protocolName: null,
    assignments: j.leader === j.memberId ? [{ memberId: j.memberId, assignment }] : [],
  });
  expect(s.errorCode).toBe(GroupErr.NONE);
  return { memberId: j.memberId, generationId: j.generationId, join: j, sync: s };
}

function hb(c: GroupCoordinator, memberId: string, generationId: number, groupId = 'g', groupInstanceId: string | null = null) {
  return c.heartbeat({ groupId, memberId, generationId, groupInstanceId });
}

describe('GroupCoordinator: join and sync', () => {
  it('a single member joins, becomes leader and gets its assignment', async () => {
    const { coordinator: c, writer } = setupCoordinator();
    const j = await c.joinGroup(joinParams());
    expect(j.errorCode).toBe(GroupErr.NONE);
    expect(j.generationId).toBe(1);
    expect(j.protocolName).toBe('range');
    expect(j.protocolType).toBe('consumer');
    expect(j.leader).toBe(j.memberId);
    expect(j.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(j.members).toHaveLength(1);
    expect(j.members[0].metadata.equals(encodeSubscription(['t']))).toBe(true);
    expect(c.group('g')!.state).toBe('CompletingRebalance');

    const s = await c.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: j.memberId, assignment: A1 }],
    });
    expect(s).toMatchObject({ errorCode: GroupErr.NONE, protocolType: 'consumer', protocolName: 'range' });
    expect(s.assignment.equals(A1)).toBe(true);
    expect(c.group('g')!.state).toBe('Stable');

    // The group and its assignment were written to the group's offsets partition, Kafka-style.
    const p = c.partitionFor('g');
    const recs = writer.records(p);
    expect(recs).toHaveLength(1);
    expect(decodeOffsetsKey(recs[0].key)).toEqual({ kind: 'group', group: 'g' });
    const stored = decodeGroupMetadataValue(recs[0].value!);
    expect(stored).toMatchObject({ protocolType: 'consumer', generation: 1, protocol: 'range', leader: j.memberId });
    expect(stored.members[0].assignment.equals(A1)).toBe(true);
    expect(stored.members[0].subscription.equals(encodeSubscription(['t']))).toBe(true);
  });

  it('MEMBER_ID_REQUIRED round trip only when the client asks for it (JoinGroup v4+)', async () => {
    const { coordinator: c } = setupCoordinator();
    const first = await c.joinGroup(joinParams({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(GroupErr.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    expect(first.generationId).toBe(-1);
    const second = await c.joinGroup(joinParams({ requireKnownMemberId: true, memberId: first.memberId }));
    expect(second.errorCode).toBe(GroupErr.NONE);
    expect(second.memberId).toBe(first.memberId);
    expect(second.leader).toBe(first.memberId);

    const old = await c.joinGroup(joinParams({ groupId: 'old', requireKnownMemberId: false }));
    expect(old.errorCode).toBe(GroupErr.NONE);
  });

  it('a pending member id that never comes back expires after the session timeout', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    const a = await joinAndSync(c);
    const pending = await c.joinGroup(joinParams({ requireKnownMemberId: true }));
    expect(pending.errorCode).toBe(GroupErr.MEMBER_ID_REQUIRED);
    expect(c.group('g')!.pendingMembers.size).toBe(1);
    clock.advance(5_000);
    expect(hb(c, a.memberId, a.generationId)).toBe(GroupErr.NONE);
    clock.advance(5_001);
    expect(c.group('g')!.pendingMembers.size).toBe(0);
    // Using the expired id is now an unknown member.
    const late = await c.joinGroup(joinParams({ requireKnownMemberId: true, memberId: pending.memberId }));
    expect(late.errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
  });

  it('a second member triggers a rebalance that completes once everyone rejoined', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c);
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await flush();
    expect(bJoin.done).toBe(false);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    expect(hb(c, a.memberId, a.generationId)).toBe(GroupErr.REBALANCE_IN_PROGRESS);

    const aJoin = await c.joinGroup(joinParams({ memberId: a.memberId }));
    await flush();
    expect(bJoin.done).toBe(true);
    const b = bJoin.value!;
    expect(aJoin.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(aJoin.leader).toBe(a.memberId);
    expect(aJoin.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(b.members).toEqual([]);

    // The follower's SyncGroup waits for the leader's.
    const bSync = track(c.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    await flush();
    expect(bSync.done).toBe(false);
    const aSync = await c.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [
        { memberId: a.memberId, assignment: A1 },
        { memberId: b.memberId, assignment: A2 },
      ],
    });
    await flush();
    expect(aSync.assignment.equals(A1)).toBe(true);
    expect(bSync.done).toBe(true);
    expect(bSync.value!.assignment.equals(A2)).toBe(true);
    expect(c.group('g')!.state).toBe('Stable');
    expect(hb(c, b.memberId, 2)).toBe(GroupErr.NONE);
    expect(hb(c, b.memberId, 1)).toBe(GroupErr.ILLEGAL_GENERATION);
  });

  it('waits for group.initial.rebalance.delay.ms, extended while new members keep arriving', async () => {
    const { coordinator: c, clock } = setupCoordinator({ groupInitialRebalanceDelayMs: 3_000 });
    const a = track(c.joinGroup(joinParams({ clientId: 'a' })));
    clock.advance(1_000);
    const b = track(c.joinGroup(joinParams({ clientId: 'b' })));
    clock.advance(1_999);
    await flush();
    expect(a.done).toBe(false);
    clock.advance(1); // 3000: a newcomer arrived during the delay, so wait another 3000
    await flush();
    expect(a.done).toBe(false);
    clock.advance(2_999);
    await flush();
    expect(a.done).toBe(false);
    clock.advance(1);
    await flush();
    expect(a.done && b.done).toBe(true);
    expect(a.value!.generationId).toBe(1);
    expect(b.value!.generationId).toBe(1);
    expect(a.value!.leader).toBe(a.value!.memberId);
    expect(a.value!.members).toHaveLength(2);
  });

  it('the initial delay is bounded by the rebalance timeout', async () => {
    const { coordinator: c, clock } = setupCoordinator({ groupInitialRebalanceDelayMs: 3_000 });
    const first = track(c.joinGroup(joinParams({ rebalanceTimeoutMs: 7_000 })));
    // A newcomer every 2.5 s would extend forever without the bound.
    for (let i = 0; i < 6; i++) {
      clock.advance(2_500);
      void c.joinGroup(joinParams({ clientId: `n${i}`, rebalanceTimeoutMs: 7_000 }));
    }
    await flush();
    expect(first.done).toBe(true);
    expect(first.value!.generationId).toBe(1);
  });

  it('members that do not rejoin within the rebalance timeout are removed', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const b = track(c.joinGroup(joinParams({ clientId: 'b', rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 })));
    // a keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
    for (let t = 0; t < 18_000; t += 3_000) {
      clock.advance(3_000);
      expect(hb(c, a.memberId, a.generationId)).toBe(GroupErr.REBALANCE_IN_PROGRESS);
    }
    await flush();
    expect(b.done).toBe(false);
    clock.advance(2_000);
    await flush();
    expect(b.done).toBe(true);
    expect(b.value!.generationId).toBe(2);
    expect(b.value!.leader).toBe(b.value!.memberId);
    expect(b.value!.members.map((m) => m.memberId)).toEqual([b.value!.memberId]);
    expect(hb(c, a.memberId, 2)).toBe(GroupErr.UNKNOWN_MEMBER_ID);
  });

  it('a member that stops heartbeating is removed after session.timeout.ms and the group rebalances', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a' });
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await c.joinGroup(joinParams({ memberId: a.memberId }));
    await flush();
    const b = bJoin.value!;
    await c.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await c.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(c.group('g')!.state).toBe('Stable');
    // b heartbeats, a goes silent (e.g. SIGKILL).
    for (let i = 0; i < 3; i++) {
      clock.advance(3_000);
      expect(hb(c, b.memberId, 2)).toBe(GroupErr.NONE);
    }
    clock.advance(1_001);
    expect(c.group('g')!.has(a.memberId)).toBe(false);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    expect(hb(c, b.memberId, 2)).toBe(GroupErr.REBALANCE_IN_PROGRESS);
    const rejoin = await c.joinGroup(joinParams({ memberId: b.memberId, clientId: 'b' }));
    expect(rejoin.generationId).toBe(3);
    expect(rejoin.leader).toBe(b.memberId);
  });

  it('a member that joined alone and never heartbeats expires after its session timeout, not the new-member timeout', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    const j = await c.joinGroup(joinParams());
    expect(j.errorCode).toBe(GroupErr.NONE);
    clock.advance(10_001);
    expect(c.group('g')!.size).toBe(0);
  });

  it('the last member expiring leaves an Empty group with a bumped generation', async () => {
    const { coordinator: c, clock, writer } = setupCoordinator();
    await joinAndSync(c);
    clock.advance(10_001);
    const g = c.group('g')!;
    expect(g.state).toBe('Empty');
    expect(g.generationId).toBe(2);
    await flush();
    const last = writer.records(c.partitionFor('g')).at(-1)!;
    expect(decodeGroupMetadataValue(last.value!)).toMatchObject({ generation: 2, members: [], protocol: null });
  });

  it('a follower that never sends SyncGroup is removed after the rebalance timeout', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a', rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 });
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b', rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 })));
    await c.joinGroup(joinParams({ memberId: a.memberId, rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 }));
    await flush();
    await c.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(c.group('g')!.pendingSyncMembers.has(bJoin.value!.memberId)).toBe(true);
    clock.advance(15_000);
    expect(c.group('g')!.has(bJoin.value!.memberId)).toBe(false);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
  });

  it('rejects session timeouts outside group.min/max.session.timeout.ms', async () => {
    const { coordinator: c } = setupCoordinator({ groupMinSessionTimeoutMs: 6_000, groupMaxSessionTimeoutMs: 60_000 });
    expect((await c.joinGroup(joinParams({ sessionTimeoutMs: 5_999 }))).errorCode).toBe(GroupErr.INVALID_SESSION_TIMEOUT);
    expect((await c.joinGroup(joinParams({ sessionTimeoutMs: 60_001 }))).errorCode).toBe(GroupErr.INVALID_SESSION_TIMEOUT);
    expect((await c.joinGroup(joinParams({ sessionTimeoutMs: 60_000 }))).errorCode).toBe(GroupErr.NONE);
  });

  it('rejects an empty group id and groups this broker does not coordinate', async () => {
    const { coordinator: c } = setupCoordinator({}, false);
    expect((await c.joinGroup(joinParams({ groupId: '' }))).errorCode).toBe(GroupErr.INVALID_GROUP_ID);
    expect((await c.joinGroup(joinParams())).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect(hb(c, 'x', 1)).toBe(GroupErr.NOT_COORDINATOR);
  });

  it('INCONSISTENT_GROUP_PROTOCOL when protocol type or protocols do not match the group', async () => {
    const { coordinator: c } = setupCoordinator();
    await joinAndSync(c);
    const wrongType = await c.joinGroup(joinParams({ protocolType: 'connect' }));
    expect(wrongType.errorCode).toBe(GroupErr.INCONSISTENT_GROUP_PROTOCOL);
    const noCommon = await c.joinGroup(joinParams({ protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] }));
    expect(noCommon.errorCode).toBe(GroupErr.INCONSISTENT_GROUP_PROTOCOL);
    const empty = await c.joinGroup(joinParams({ groupId: 'other', protocols: [] }));
    expect(empty.errorCode).toBe(GroupErr.INCONSISTENT_GROUP_PROTOCOL);
    await flush();
    // The failed first join leaves no empty group behind.
    expect(c.describeGroup('other').groupState).toBe('Dead');
  });

  it('selects the protocol most members prefer among those all support', async () => {
    const { coordinator: c } = setupCoordinator();
    const p = (name: string) => ({ name, metadata: Buffer.from(name) });
    const a = track(c.joinGroup(joinParams({ clientId: 'a', protocols: [p('range'), p('roundrobin')] })));
    await flush();
    // a is alone and becomes generation 1; the others join and a rejoins.
    const b = track(c.joinGroup(joinParams({ clientId: 'b', protocols: [p('roundrobin'), p('range')] })));
    const d = track(c.joinGroup(joinParams({ clientId: 'd', protocols: [p('sticky'), p('roundrobin'), p('range')] })));
    const aRe = await c.joinGroup(joinParams({ clientId: 'a', memberId: a.value!.memberId, protocols: [p('range'), p('roundrobin')] }));
    await flush();
    expect(b.done && d.done).toBe(true);
    expect(aRe.protocolName).toBe('roundrobin');
    // The leader gets each member's metadata for the chosen protocol.
    expect(aRe.members.every((m) => m.metadata.toString() === 'roundrobin')).toBe(true);
  });

  it('accepts any protocol type, e.g. the schema registry\'s "sr"', async () => {
    const { coordinator: c } = setupCoordinator();
    const j = await c.joinGroup(joinParams({ groupId: 'schema-registry', protocolType: 'sr', protocols: [{ name: 'v0', metadata: Buffer.from('{"host":"a"}') }] }));
    expect(j.errorCode).toBe(GroupErr.NONE);
    expect(j.protocolType).toBe('sr');
    expect(j.protocolName).toBe('v0');
    const s = await c.syncGroup({ groupId: 'schema-registry', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: 'sr', protocolName: 'v0', assignments: [{ memberId: j.memberId, assignment: Buffer.from('{"leader":"a"}') }] });
    expect(s.assignment.toString()).toBe('{"leader":"a"}');
    expect(c.listGroups().groups).toEqual([{ groupId: 'schema-registry', protocolType: 'sr', groupState: 'Stable' }]);
  });

  it('group.max.size caps the number of members; the last member to rejoin a full rebalance is kicked out', async () => {
    const { coordinator: c } = setupCoordinator({ groupMaxSize: 2 });
    const a = await joinAndSync(c, { clientId: 'a' });
    const b = track(c.joinGroup(joinParams({ clientId: 'b' })));
    const d = track(c.joinGroup(joinParams({ clientId: 'd' })));
    await flush();
    // Two members are already waiting in the rebalance, so a's rejoin would make three.
    const aRe = await c.joinGroup(joinParams({ memberId: a.memberId }));
    expect(aRe.errorCode).toBe(GroupErr.GROUP_MAX_SIZE_REACHED);
    await flush();
    expect(b.value!.errorCode).toBe(GroupErr.NONE);
    expect(d.value!.errorCode).toBe(GroupErr.NONE);
    expect(c.group('g')!.size).toBe(2);
    await c.syncGroup({ groupId: 'g', generationId: 2, memberId: b.value!.leader, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(c.group('g')!.state).toBe('Stable');
    const e = await c.joinGroup(joinParams({ clientId: 'e' }));
    expect(e.errorCode).toBe(GroupErr.GROUP_MAX_SIZE_REACHED);
    expect(c.group('g')!.state).toBe('Stable');
  });

  it('a rejoin in CompletingRebalance with unchanged protocols gets the same generation back', async () => {
    const { coordinator: c } = setupCoordinator();
    const j = await c.joinGroup(joinParams());
    const again = await c.joinGroup(joinParams({ memberId: j.memberId }));
    expect(again.generationId).toBe(j.generationId);
    expect(again.leader).toBe(j.memberId);
    expect(again.members).toHaveLength(1);
  });

  it('a follower rejoining a stable group with the same protocols does not rebalance', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a' });
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await c.joinGroup(joinParams({ memberId: a.memberId }));
    await flush();
    const b = bJoin.value!;
    await c.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: b.memberId, assignment: A2 }] });
    const again = await c.joinGroup(joinParams({ memberId: b.memberId, clientId: 'b' }));
    expect(again.generationId).toBe(2);
    expect(c.group('g')!.state).toBe('Stable');
    // The leader rejoining does start a rebalance (it wants to reassign).
    const leaderRejoin = track(c.joinGroup(joinParams({ memberId: a.memberId })));
    await flush();
    expect(leaderRejoin.done).toBe(false);
    expect(c.group('g')!.state).toBe('PreparingRebalance');
  });
});

describe('GroupCoordinator: SyncGroup errors', () => {
  it('UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, REBALANCE_IN_PROGRESS', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c);
    const base = { groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] };
    expect((await c.syncGroup({ ...base, memberId: 'nobody' })).errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup({ ...base, groupId: 'nogroup' })).errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup({ ...base, generationId: 7 })).errorCode).toBe(GroupErr.ILLEGAL_GENERATION);
    expect((await c.syncGroup({ ...base, protocolName: 'roundrobin' })).errorCode).toBe(GroupErr.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.syncGroup({ ...base, protocolType: 'connect' })).errorCode).toBe(GroupErr.INCONSISTENT_GROUP_PROTOCOL);
    void c.joinGroup(joinParams({ clientId: 'b' }));
    await flush();
    expect((await c.syncGroup(base)).errorCode).toBe(GroupErr.REBALANCE_IN_PROGRESS);
  });

  it('a rebalance while followers wait for the assignment sends them back with REBALANCE_IN_PROGRESS', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a' });
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await c.joinGroup(joinParams({ memberId: a.memberId }));
    await flush();
    const b = bJoin.value!;
    const bSync = track(c.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    await flush();
    // A third member arrives before the leader synced.
    void c.joinGroup(joinParams({ clientId: 'c' }));
    await flush();
    expect(bSync.value!.errorCode).toBe(GroupErr.REBALANCE_IN_PROGRESS);
  });

  it('a failed assignment write resets the generation with the mapped error', async () => {
    const { coordinator: c, writer } = setupCoordinator();
    const j = await c.joinGroup(joinParams());
    writer.failWith = GroupErr.NOT_LEADER_OR_FOLLOWER;
    const s = await c.syncGroup({ groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: A1 }] });
    expect(s.errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect(c.group('g')!.state).not.toBe('Stable');
  });
});

describe('GroupCoordinator: LeaveGroup', () => {
  it('a leaving member triggers a rebalance; the remaining member rejoins alone', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a' });
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await c.joinGroup(joinParams({ memberId: a.memberId }));
    await flush();
    const b = bJoin.value!;
    await c.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    const out = c.leaveGroup('g', [{ memberId: b.memberId, groupInstanceId: null }]);
    expect(out).toEqual({ errorCode: 0, members: [{ memberId: b.memberId, groupInstanceId: null, errorCode: 0 }] });
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    const re = await c.joinGroup(joinParams({ memberId: a.memberId }));
    expect(re.generationId).toBe(3);
    expect(re.members).toHaveLength(1);
  });

  it('batched leave reports per member; unknown group means UNKNOWN_MEMBER_ID for each', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c);
    const out = c.leaveGroup('g', [
      { memberId: a.memberId, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
    ]);
    expect(out.members.map((m) => m.errorCode)).toEqual([GroupErr.NONE, GroupErr.UNKNOWN_MEMBER_ID]);
    expect(c.group('g')!.state).toBe('Empty');
    const none = c.leaveGroup('missing', [{ memberId: 'x', groupInstanceId: null }]);
    expect(none).toEqual({ errorCode: 0, members: [{ memberId: 'x', groupInstanceId: null, errorCode: GroupErr.UNKNOWN_MEMBER_ID }] });
  });

  it('a member parked in JoinGroup that leaves gets UNKNOWN_MEMBER_ID and the rebalance completes without it', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c, { clientId: 'a' });
    const bJoin = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await flush();
    const b = c.group('g')!.notYetRejoinedMembers().length; // only a has not rejoined
    expect(b).toBe(1);
    const bId = [...c.group('g')!.members.keys()].find((id) => id !== a.memberId)!;
    c.leaveGroup('g', [{ memberId: bId, groupInstanceId: null }]);
    await flush();
    expect(bJoin.value!.errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    const re = await c.joinGroup(joinParams({ memberId: a.memberId }));
    expect(re.members).toHaveLength(1);
  });
});

describe('GroupCoordinator: static membership', () => {
  it('a restarted static member takes over its slot without a rebalance and fences the old id', async () => {
    const { coordinator: c } = setupCoordinator();
    const first = await joinAndSync(c, { groupInstanceId: 'inst-1', clientId: 'app' });
    expect(first.memberId).toMatch(/^inst-1-/);
    const restarted = await c.joinGroup(joinParams({ groupInstanceId: 'inst-1', clientId: 'app' }));
    expect(restarted.errorCode).toBe(GroupErr.NONE);
    expect(restarted.memberId).not.toBe(first.memberId);
    expect(restarted.generationId).toBe(first.generationId);
    expect(restarted.leader).toBe(restarted.memberId);
    expect(c.group('g')!.state).toBe('Stable');
    // SyncGroup in Stable returns the assignment it had.
    const s = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: restarted.memberId, groupInstanceId: 'inst-1', protocolType: null, protocolName: null, assignments: [] });
    expect(s.assignment.equals(A1)).toBe(true);
    // The old incarnation is fenced everywhere.
    expect(hb(c, first.memberId, 1, 'g', 'inst-1')).toBe(GroupErr.FENCED_INSTANCE_ID);
    const commit = await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: 'inst-1', retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    expect(commit[0].errorCode).toBe(GroupErr.FENCED_INSTANCE_ID);
    const join = await c.joinGroup(joinParams({ groupInstanceId: 'inst-1', memberId: first.memberId }));
    expect(join.errorCode).toBe(GroupErr.FENCED_INSTANCE_ID);
    expect(hb(c, restarted.memberId, 1, 'g', 'inst-1')).toBe(GroupErr.NONE);
  });

  it('a parked JoinGroup of an old static incarnation is fenced when the instance restarts', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c, { groupInstanceId: 'a', clientId: 'a' });
    // b holds a pending member id, so the rebalance a starts cannot complete without b.
    const bPending = await c.joinGroup(joinParams({ clientId: 'b', requireKnownMemberId: true }));
    const aOld = track(c.joinGroup(joinParams({ groupInstanceId: 'a', memberId: a.memberId })));
    await flush();
    expect(aOld.done).toBe(false);
    const aNew = track(c.joinGroup(joinParams({ groupInstanceId: 'a', clientId: 'a' })));
    await flush();
    expect(aOld.value!.errorCode).toBe(GroupErr.FENCED_INSTANCE_ID);
    expect(aNew.done).toBe(false);
    const b = await c.joinGroup(joinParams({ clientId: 'b', requireKnownMemberId: true, memberId: bPending.memberId }));
    await flush();
    expect(b.errorCode).toBe(GroupErr.NONE);
    expect(aNew.value!.errorCode).toBe(GroupErr.NONE);
    expect(aNew.value!.generationId).toBe(2);
    expect(aNew.value!.memberId).not.toBe(a.memberId);
    expect(c.group('g')!.size).toBe(2);
  });

  it('a static member rejoining a stable group with different protocols triggers a rebalance', async () => {
    const { coordinator: c } = setupCoordinator();
    await joinAndSync(c, { groupInstanceId: 'a', protocols: [{ name: 'range', metadata: Buffer.from('x') }] });
    const re = await c.joinGroup(
      joinParams({ groupInstanceId: 'a', protocols: [{ name: 'cooperative-sticky', metadata: Buffer.from('y') }, { name: 'range', metadata: Buffer.from('x') }] }),
    );
    expect(re.errorCode).toBe(GroupErr.NONE);
    expect(re.generationId).toBe(2);
    expect(re.protocolName).toBe('cooperative-sticky');
  });

  it('a static member is removed by instance id (admin removal) and by session expiry', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    await joinAndSync(c, { groupInstanceId: 'x' });
    const out = c.leaveGroup('g', [{ memberId: '', groupInstanceId: 'x' }]);
    expect(out.members[0].errorCode).toBe(GroupErr.NONE);
    expect(c.group('g')!.state).toBe('Empty');
    expect(c.leaveGroup('g', [{ memberId: '', groupInstanceId: 'x' }]).members[0].errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    await joinAndSync(c, { groupInstanceId: 'y' });
    clock.advance(10_001);
    expect(c.group('g')!.size).toBe(0);
  });
});

describe('GroupCoordinator: offsets', () => {
  const entry = (topic: string, partition: number, offset: bigint, metadata: string | null = null) => ({
    topic,
    partition,
    offset,
    leaderEpoch: 3,
    metadata,
    commitTimestamp: -1,
  });

  it('commits from a client outside any group (generation -1, empty member id) and fetches them back', async () => {
    const { coordinator: c, writer, clock } = setupCoordinator();
    const res = await c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 0, 42n, 'meta'), entry('t', 1, 7n)] });
    expect(res).toEqual([
      { topic: 't', partition: 0, errorCode: 0 },
      { topic: 't', partition: 1, errorCode: 0 },
    ]);
    const f = c.fetchOffsets('simple', [{ name: 't', partitions: [0, 1, 2] }]);
    expect(f.errorCode).toBe(0);
    expect(f.topics[0].partitions).toEqual([
      { partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'meta', errorCode: 0 },
      { partition: 1, offset: 7n, leaderEpoch: 3, metadata: '', errorCode: 0 },
      { partition: 2, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(c.fetchOffsets('simple', null).topics).toEqual([{ name: 't', partitions: f.topics[0].partitions.slice(0, 2) }]);
    // Stored as OffsetCommitKey v1 / OffsetCommitValue v3 in one batch.
    const appended = writer.appended.at(-1)!;
    expect(appended.records).toHaveLength(2);
    expect(decodeOffsetsKey(appended.records[0].key)).toEqual({ kind: 'offset', group: 'simple', topic: 't', partition: 0 });
    expect(appended.records[0].key.readInt16BE(0)).toBe(1);
    expect(appended.records[0].value!.readInt16BE(0)).toBe(3);
    expect(decodeOffsetCommitValue(appended.records[0].value!)).toEqual({ offset: 42n, leaderEpoch: 3, metadata: 'meta', commitTimestamp: clock.now(), expireTimestamp: null });
    // An unknown group fetches as "no offsets".
    expect(c.fetchOffsets('nobody', [{ name: 't', partitions: [0] }]).topics[0].partitions[0].offset).toBe(-1n);
    expect(c.fetchOffsets('nobody', null).topics).toEqual([]);
  });

  it('validates member, generation and state of group commits', async () => {
    const { coordinator: c } = setupCoordinator();
    const commit = (over: object) =>
      c.commitOffsets({ groupId: 'g', generationId: 1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 0, 1n)], ...over });
    expect((await commit({ generationId: 4 }))[0].errorCode).toBe(GroupErr.ILLEGAL_GENERATION); // no such group
    const j = await c.joinGroup(joinParams());
    expect((await commit({ memberId: j.memberId }))[0].errorCode).toBe(GroupErr.REBALANCE_IN_PROGRESS); // CompletingRebalance
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect((await commit({ memberId: j.memberId }))[0].errorCode).toBe(GroupErr.NONE);
    expect((await commit({ memberId: j.memberId, generationId: 0 }))[0].errorCode).toBe(GroupErr.ILLEGAL_GENERATION);
    expect((await commit({ memberId: 'other' }))[0].errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    // Outside commits are refused while the group has members.
    expect((await commit({ generationId: -1 }))[0].errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    // During PreparingRebalance the current generation may still commit (clients commit before rejoining).
    void c.joinGroup(joinParams({ clientId: 'b' }));
    await flush();
    expect(c.group('g')!.state).toBe('PreparingRebalance');
    expect((await commit({ memberId: j.memberId }))[0].errorCode).toBe(GroupErr.NONE);
  });

  it('a commit keeps the member alive like a heartbeat', async () => {
    const { coordinator: c, clock } = setupCoordinator();
    const a = await joinAndSync(c);
    for (let i = 0; i < 5; i++) {
      clock.advance(9_000);
      await c.commitOffsets({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 0, BigInt(i))] });
    }
    expect(c.group('g')!.has(a.memberId)).toBe(true);
  });

  it('OFFSET_METADATA_TOO_LARGE per partition and append failures mapped to coordinator errors', async () => {
    const { coordinator: c, writer } = setupCoordinator({ offsetMetadataMaxBytes: 10 });
    const res = await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 0, 1n, 'x'.repeat(11)), entry('t', 1, 1n, 'ok')] });
    expect(res.map((r) => r.errorCode)).toEqual([GroupErr.OFFSET_METADATA_TOO_LARGE, GroupErr.NONE]);
    writer.failWith = GroupErr.NOT_ENOUGH_REPLICAS;
    const failed = await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 1, 9n)] });
    expect(failed[0].errorCode).toBe(GroupErr.COORDINATOR_NOT_AVAILABLE);
    expect(c.fetchOffsets('s', [{ name: 't', partitions: [1] }]).topics[0].partitions[0].offset).toBe(1n);
    writer.failWith = GroupErr.MESSAGE_TOO_LARGE;
    expect((await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 1, 9n)] }))[0].errorCode).toBe(GroupErr.INVALID_COMMIT_OFFSET_SIZE);
  });

  it('NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS for offset APIs', async () => {
    const { coordinator: c, clock } = setupCoordinator({}, false);
    const p = c.partitionFor('g');
    expect(c.fetchOffsets('g', null).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    const loader = c.beginLoad(p);
    expect(c.fetchOffsets('g', null).errorCode).toBe(GroupErr.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 0, 1n)] }))[0].errorCode).toBe(GroupErr.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await c.joinGroup(joinParams())).errorCode).toBe(GroupErr.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await c.syncGroup({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(GroupErr.REBALANCE_IN_PROGRESS);
    expect(hb(c, 'm', 1)).toBe(GroupErr.NONE);
    expect(c.listGroups().errorCode).toBe(GroupErr.COORDINATOR_LOAD_IN_PROGRESS);
    loader.complete(clock.now());
    expect(c.fetchOffsets('g', null).errorCode).toBe(GroupErr.NONE);
  });

  it('OffsetDelete: empty groups lose offsets; active consumer groups keep subscribed topics', async () => {
    const { coordinator: c } = setupCoordinator();
    await c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [entry('t', 0, 1n), entry('u', 0, 2n)] });
    const a = await joinAndSync(c, { protocols: [{ name: 'range', metadata: encodeSubscription(['t']) }] });
    const res = await c.deleteOffsets('g', [
      { name: 't', partitions: [0] },
      { name: 'u', partitions: [0] },
    ]);
    expect(res).toEqual({
      errorCode: 0,
      topics: [
        { name: 't', partitions: [{ partition: 0, errorCode: GroupErr.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'u', partitions: [{ partition: 0, errorCode: 0 }] },
      ],
    });
    expect(c.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['t']);
    c.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    expect((await c.deleteOffsets('g', [{ name: 't', partitions: [0] }])).topics[0].partitions[0].errorCode).toBe(0);
    expect(c.fetchOffsets('g', null).topics).toEqual([]);
    expect((await c.deleteOffsets('nope', [{ name: 't', partitions: [0] }])).errorCode).toBe(GroupErr.GROUP_ID_NOT_FOUND);
  });

  it('OffsetDelete on an active non-consumer group is NON_EMPTY_GROUP', async () => {
    const { coordinator: c } = setupCoordinator();
    await joinAndSync(c, { groupId: 'sr', protocolType: 'sr', protocols: [{ name: 'v0', metadata: Buffer.from('x') }] });
    expect((await c.deleteOffsets('sr', [{ name: 't', partitions: [0] }])).errorCode).toBe(GroupErr.NON_EMPTY_GROUP);
  });
});

describe('GroupCoordinator: offsets.retention.minutes expiry', () => {
  const commit = (c: GroupCoordinator, groupId: string, topic: string, over: object = {}) =>
    c.commitOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic, partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }], ...over });

  it('expires offsets of an empty group after the retention and then removes the group', async () => {
    const { coordinator: c, clock, writer } = setupCoordinator({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
    await commit(c, 'g', 't');
    clock.advance(50_000);
    await flush();
    expect(c.fetchOffsets('g', null).topics).toHaveLength(1);
    clock.advance(10_000);
    await flush();
    await flush();
    expect(c.fetchOffsets('g', null).topics).toHaveLength(0);
    expect(c.group('g')).toBeUndefined();
    const tombstones = writer.records(c.partitionFor('g')).filter((r) => r.value === null);
    expect(tombstones.map((r) => decodeOffsetsKey(r.key)!.kind).sort()).toEqual(['group', 'offset']);
  });

  it('offsets of a standalone (offsets-only) group age from their own commit', async () => {
    const { coordinator: c, clock } = setupCoordinator({ offsetsRetentionMs: 60_000 });
    await commit(c, 's', 'old');
    clock.advance(50_000);
    await commit(c, 's', 'fresh');
    clock.advance(20_000);
    expect(await c.expireOffsets()).toBe(1);
    expect(c.fetchOffsets('s', null).topics.map((t) => t.name)).toEqual(['fresh']);
  });

  it('an Empty group that had members expires all offsets retention after it became empty', async () => {
    const { coordinator: c, clock } = setupCoordinator({ offsetsRetentionMs: 60_000 });
    const j = await c.joinGroup(joinParams({ sessionTimeoutMs: 100_000 }));
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    clock.advance(100_000); // still a member: subscribed topic offsets stay
    expect(await c.expireOffsets()).toBe(0);
    c.leaveGroup('g', [{ memberId: j.memberId, groupInstanceId: null }]);
    clock.advance(59_000);
    expect(await c.expireOffsets()).toBe(0);
    clock.advance(1_000);
    expect(await c.expireOffsets()).toBe(1);
    expect(c.group('g')).toBeUndefined();
  });

  it('keeps offsets of topics an active consumer group subscribes to; expires the rest', async () => {
    const { coordinator: c, clock } = setupCoordinator({ offsetsRetentionMs: 60_000 });
    await commit(c, 'g', 'old-topic');
    const a = await joinAndSync(c, { sessionTimeoutMs: 100_000, protocols: [{ name: 'range', metadata: encodeSubscription(['t']) }] });
    await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    clock.advance(61_000);
    expect(await c.expireOffsets()).toBe(1);
    expect(c.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['t']);
  });

  it('honours an explicit retention time from old clients (OffsetCommit v2-4)', async () => {
    const { coordinator: c, clock, writer } = setupCoordinator({ offsetsRetentionMs: 1_000_000 });
    await commit(c, 'g', 't', { retentionTimeMs: 5_000 });
    const v = writer.appended.at(-1)!.records[0].value!;
    expect(v.readInt16BE(0)).toBe(1);
    expect(decodeOffsetCommitValue(v).expireTimestamp).toBe(clock.now() + 5_000);
    clock.advance(5_000);
    expect(await c.expireOffsets()).toBe(1);
  });
});

describe('GroupCoordinator: deleted topics', () => {
  it('drops the offsets of a deleted topic and removes groups left empty without offsets', async () => {
    const { coordinator: c, writer } = setupCoordinator();
    const o = (topic: string) => ({ topic, partition: 0, offset: 3n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 });
    await c.commitOffsets({ groupId: 'only-gone', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [o('gone')] });
    await c.commitOffsets({ groupId: 'mixed', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [o('gone'), o('kept')] });
    expect(await c.removeOffsetsOfTopic('gone')).toBe(2);
    expect(c.group('only-gone')).toBeUndefined();
    expect(c.fetchOffsets('mixed', null).topics.map((t) => t.name)).toEqual(['kept']);
    const tombstones = writer.appended.flatMap((a) => a.records).filter((r) => r.value === null).map((r) => decodeOffsetsKey(r.key));
    expect(tombstones).toEqual(
      expect.arrayContaining([
        { kind: 'offset', group: 'only-gone', topic: 'gone', partition: 0 },
        { kind: 'group', group: 'only-gone' },
        { kind: 'offset', group: 'mixed', topic: 'gone', partition: 0 },
      ]),
    );
  });
});

describe('GroupCoordinator: admin APIs', () => {
  it('DescribeGroups shows members with metadata and assignment only when Stable', async () => {
    const { coordinator: c } = setupCoordinator();
    const j = await c.joinGroup(joinParams({ clientId: 'cli' }));
    let d = c.describeGroup('g');
    expect(d).toMatchObject({ errorCode: 0, groupState: 'CompletingRebalance', protocolType: 'consumer', protocolData: '' });
    expect(d.members[0].memberMetadata.length).toBe(0);
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: A1 }] });
    d = c.describeGroup('g');
    expect(d).toMatchObject({ groupState: 'Stable', protocolData: 'range' });
    expect(d.members[0]).toMatchObject({ memberId: j.memberId, clientId: 'cli', clientHost: '/127.0.0.1', groupInstanceId: null });
    expect(d.members[0].memberAssignment.equals(A1)).toBe(true);
    expect(d.members[0].memberMetadata.equals(encodeSubscription(['t']))).toBe(true);
    expect(c.describeGroup('unknown')).toEqual({ errorCode: 0, groupId: 'unknown', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
  });

  it('ListGroups lists only groups of partitions this coordinator owns, with a states filter', async () => {
    const { coordinator: c } = setupCoordinator();
    await joinAndSync(c, { groupId: 'a' });
    await c.commitOffsets({ groupId: 'b', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [] });
    expect(c.listGroups().groups).toEqual([
      { groupId: 'a', protocolType: 'consumer', groupState: 'Stable' },
      { groupId: 'b', protocolType: '', groupState: 'Empty' },
    ]);
    expect(c.listGroups(['stable']).groups.map((g) => g.groupId)).toEqual(['a']);
    c.unloadPartition(c.partitionFor('a'));
    expect(c.listGroups().groups.map((g) => g.groupId)).toEqual(c.partitionFor('a') === c.partitionFor('b') ? [] : ['b']);
  });

  it('DeleteGroups deletes empty groups with tombstones and refuses active or unknown ones', async () => {
    const { coordinator: c, writer } = setupCoordinator();
    await c.commitOffsets({ groupId: 'empty', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    await joinAndSync(c, { groupId: 'busy' });
    const res = await c.deleteGroups(['empty', 'busy', 'missing']);
    expect(res).toEqual([
      { groupId: 'empty', errorCode: 0 },
      { groupId: 'busy', errorCode: GroupErr.NON_EMPTY_GROUP },
      { groupId: 'missing', errorCode: GroupErr.GROUP_ID_NOT_FOUND },
    ]);
    expect(c.fetchOffsets('empty', null).topics).toEqual([]);
    const last = writer.appended.at(-1)!;
    expect(last.records.every((r) => r.value === null)).toBe(true);
    expect(last.records.map((r) => decodeOffsetsKey(r.key))).toEqual([
      { kind: 'offset', group: 'empty', topic: 't', partition: 0 },
      { kind: 'group', group: 'empty' },
    ]);
  });
});

describe('GroupCoordinator: loading and unloading partitions', () => {
  it('a new coordinator rebuilds groups and offsets from the records', async () => {
    const first = setupCoordinator();
    const a = await joinAndSync(first.coordinator, { groupInstanceId: 'static-1' });
    await first.coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: 'static-1', retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 10n, leaderEpoch: 2, metadata: 'm', commitTimestamp: -1 }] });
    await first.coordinator.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    await first.coordinator.deleteGroups(['gone']);

    const second = setupCoordinator({}, false);
    const c = second.coordinator;
    const p = c.partitionFor('g');
    const loader = c.beginLoad(p);
    for (const r of first.writer.records(p)) loader.apply(r.key, r.value);
    if (c.partitionFor('gone') !== p) {
      const l2 = c.beginLoad(c.partitionFor('gone'));
      for (const r of first.writer.records(c.partitionFor('gone'))) l2.apply(r.key, r.value);
      l2.complete(second.clock.now());
    }
    expect(loader.complete(second.clock.now())).toBe(true);

    const g = c.group('g')!;
    expect(g.state).toBe('Stable');
    expect(g.generationId).toBe(1);
    expect(g.leaderId).toBe(a.memberId);
    expect(g.get(a.memberId)!.assignment.equals(A1)).toBe(true);
    expect(c.fetchOffsets('g', [{ name: 't', partitions: [0] }]).topics[0].partitions[0]).toEqual({ partition: 0, offset: 10n, leaderEpoch: 2, metadata: 'm', errorCode: 0 });
    expect(c.group('gone')).toBeUndefined();
    // The loaded member carries on heartbeating with its generation, and its static id still fences.
    expect(hb(c, a.memberId, 1, 'g', 'static-1')).toBe(GroupErr.NONE);
    const rejoin = await c.joinGroup(joinParams({ groupInstanceId: 'static-1' }));
    expect(rejoin.generationId).toBe(1);
    // A member that never heartbeats to the new coordinator expires.
    second.clock.advance(10_001);
    expect(c.group('g')!.size).toBe(0);
  });

  it('unloading answers parked requests with NOT_COORDINATOR and forgets the groups', async () => {
    const { coordinator: c } = setupCoordinator();
    const a = await joinAndSync(c);
    const b = track(c.joinGroup(joinParams({ clientId: 'b' })));
    await flush();
    c.unloadPartition(c.partitionFor('g'));
    await flush();
    expect(b.value!.errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect(hb(c, a.memberId, 1)).toBe(GroupErr.NOT_COORDINATOR);
    expect(c.group('g')).toBeUndefined();
  });

  it('a stale loader (partition reloaded or unloaded meanwhile) installs nothing', () => {
    const { coordinator: c, clock } = setupCoordinator({}, false);
    const l1 = c.beginLoad(3);
    c.unloadPartition(3);
    expect(l1.complete(clock.now())).toBe(false);
    const l2 = c.beginLoad(3);
    const l3 = c.beginLoad(3);
    expect(l2.complete(clock.now())).toBe(false);
    expect(l3.complete(clock.now())).toBe(true);
    expect(c.isActive(3)).toBe(true);
  });

  it('shutdown cancels every timer', async () => {
    const { coordinator: c, clock } = setupCoordinator({ groupInitialRebalanceDelayMs: 3_000 });
    const parked = track(c.joinGroup(joinParams()));
    await flush();
    c.shutdown();
    await flush();
    expect(parked.value!.errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect(clock.pending()).toBe(0);
  });
});

describe('GroupCoordinator: a longer scenario with three members', () => {
  it('members join and leave one at a time; generations advance and every member ends with an assignment', async () => {
    const { coordinator: c, clock } = setupCoordinator({ groupInitialRebalanceDelayMs: 3_000 });
    const ids: string[] = [];
    const gens: number[] = [];
    // Simple simulated clients: rejoin whenever a heartbeat says REBALANCE_IN_PROGRESS.
    async function rebalanceAll(extra?: Promise<JoinGroupResult>): Promise<JoinGroupResult[]> {
      const joins = ids.map((id) => c.joinGroup(joinParams({ memberId: id, clientId: id.slice(0, 2) })));
      if (extra) joins.push(extra);
      clock.advance(3_000);
      const results = await Promise.all(joins);
      const leader = results.find((r) => r.leader === r.memberId)!;
      await Promise.all(
        results.map((r) =>
          c.syncGroup({
            groupId: 'g',
            generationId: r.generationId,
            memberId: r.memberId,
            groupInstanceId: null,
            protocolType: 'consumer',
            protocolName: 'range',
            assignments: r === leader ? leader.members.map((m, i) => ({ memberId: m.memberId, assignment: encodeAssignment({ t: [i] }) })) : [],
          }),
        ),
      );
      return results;
    }
    for (const name of ['m1', 'm2', 'm3']) {
      const rs = await rebalanceAll(c.joinGroup(joinParams({ clientId: name })));
      ids.length = 0;
      ids.push(...rs.map((r) => r.memberId));
      gens.push(rs[0].generationId);
      expect(c.group('g')!.state).toBe('Stable');
      expect(new Set(rs.map((r) => r.generationId)).size).toBe(1);
    }
    expect(c.group('g')!.size).toBe(3);
    while (ids.length > 0) {
      const leaving = ids.shift()!;
      c.leaveGroup('g', [{ memberId: leaving, groupInstanceId: null }]);
      if (ids.length > 0) {
        const rs = await rebalanceAll();
        gens.push(rs[0].generationId);
        expect(rs).toHaveLength(ids.length);
        for (const id of ids) expect(c.group('g')!.get(id)!.assignment.length).toBeGreaterThan(0);
      }
    }
    expect(c.group('g')!.state).toBe('Empty');
    // Each join and each leave made exactly one new generation.
    expect(gens).toEqual([1, 2, 3, 4, 5]);
    expect(c.group('g')!.generationId).toBe(6);
  });
});
