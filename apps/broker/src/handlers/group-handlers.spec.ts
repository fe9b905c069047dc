// Specs for the group handlers (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete): every request is encoded and decoded with
// the real codec at the version under test, and every response encoded and decoded back, so version-specific
// layout problems (nullable fields, flexible versions) show up here.
import { Reader, decodeRequest, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { encodeAssignment, encodeSubscription } from '../groups/consumer-protocol';
import { GroupErr } from '../groups/group-errors';
import { groupCoordinatorFor, stopGroupCoordinator } from '../groups/group-coordinator.service';
import { decodeOffsetsKey } from '../groups/offsets-records';
import { fakeBroker, type FakeBroker } from '../testing/fakes';
import { decodeRecordBatch } from '@runnel/protocol';
import { findCoordinatorHandler } from './find-coordinator.handler';
import { joinGroupHandler } from './join-group.handler';
import { syncGroupHandler } from './sync-group.handler';
import { heartbeatHandler } from './heartbeat.handler';
import { leaveGroupHandler } from './leave-group.handler';
import { offsetCommitHandler } from './offset-commit.handler';
import { offsetFetchHandler } from './offset-fetch.handler';
import { describeGroupsHandler } from './describe-groups.handler';
import { listGroupsHandler } from './list-groups.handler';
import { deleteGroupsHandler } from './delete-groups.handler';
import { offsetDeleteHandler } from './offset-delete.handler';

const SUB = encodeSubscription(['t']);

async function call(fb: FakeBroker, handler: ApiHandler, version: number, body: Record<string, unknown>): Promise<any> {
  const frame = Buffer.concat(encodeRequest({ apiKey: handler.apiKey, apiVersion: version, correlationId: 7, clientId: 'test-client' } as any, body as any)).subarray(4);
  const reader = new Reader(frame);
  const header = decodeRequestHeader(reader);
  const req = decodeRequest(header.apiKey, header.apiVersion, reader);
  const res = await handler.handle(fb.ctx(handler.apiKey, version), req);
  const out = Buffer.concat(encodeResponse(handler.apiKey, version, 7, res as any)).subarray(4);
  return decodeResponse(handler.apiKey, version, out).body;
}

async function setup(props: Record<string, unknown> = {}, offsetsLeader = 1): Promise<FakeBroker> {
  const fb = await fakeBroker([], { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 5, ...props });
  await fb.addTopic('__consumer_offsets', 5, { leader: offsetsLeader });
  await fb.addTopic('t', 3);
  groupCoordinatorFor(fb.services);
  await new Promise((r) => setTimeout(r, 20));
  return fb;
}

const joinBody = (over: Record<string, unknown> = {}) => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  memberId: '',
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: SUB }],
  reason: null,
  ...over,
});

describe('group handlers', () => {
  let fb: FakeBroker;
  afterEach(() => stopGroupCoordinator(fb.services));

  it('FindCoordinator v0-4 point at the leader of the group\'s offsets partition', async () => {
    fb = await setup();
    for (const v of [0, 1, 2, 3]) {
      const r = await call(fb, findCoordinatorHandler, v, { key: 'g', keyType: 0, coordinatorKeys: [] });
      expect(r).toMatchObject({ errorCode: 0, nodeId: 1, host: '127.0.0.1', port: 9092 });
    }
    const batched = await call(fb, findCoordinatorHandler, 4, { key: '', keyType: 0, coordinatorKeys: ['a', 'b'] });
    expect(batched.coordinators).toEqual([
      { key: 'a', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 0, errorMessage: null },
      { key: 'b', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 0, errorMessage: null },
    ]);
    const bad = await call(fb, findCoordinatorHandler, 2, { key: 'g', keyType: 5, coordinatorKeys: [] });
    expect(bad.errorCode).toBe(GroupErr.INVALID_REQUEST);
    // No __transaction_state yet and no controller to create it: clients are told to retry.
    const txn = await call(fb, findCoordinatorHandler, 2, { key: 'tx', keyType: 1, coordinatorKeys: [] });
    expect(txn).toMatchObject({ errorCode: GroupErr.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 });
  });

  it('__consumer_offsets is created with offsets.topic.replication.factor replicas, and not while too few brokers are up', async () => {
    const register = (b: FakeBroker, brokerId: number, fenced: boolean) =>
      b.image.apply({
        name: 'RegisterBrokerRecord',
        data: { brokerId, brokerEpoch: 0n, incarnationId: `i${brokerId}`, endPoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9090 + brokerId, securityProtocol: 0 }], features: [], rack: null, fenced },
      } as any);
    const createdWith = async (b: FakeBroker): Promise<number[]> => {
      const rfs: number[] = [];
      (b.services.controller as any).forwardAndWait = async (_key: number, _v: number, body: any) => {
        rfs.push(body.topics[0].replicationFactor);
        return { response: { topics: [{ errorCode: 0 }] } };
      };
      groupCoordinatorFor(b.services);
      const r = await call(b, findCoordinatorHandler, 3, { key: 'g', keyType: 0 });
      expect(r.errorCode).toBe(GroupErr.COORDINATOR_NOT_AVAILABLE); // the fake controller creates nothing
      return rfs;
    };
    // Three brokers registered, one of them fenced: wait rather than settle for two replicas.
    fb = await fakeBroker([], { 'offsets.topic.replication.factor': 3 });
    register(fb, 2, true);
    register(fb, 3, false);
    expect(await createdWith(fb)).toEqual([]);
    stopGroupCoordinator(fb.services);
    // All three up: three replicas.
    fb = await fakeBroker([], { 'offsets.topic.replication.factor': 3 });
    register(fb, 2, false);
    register(fb, 3, false);
    expect(await createdWith(fb)).toEqual([3]);
    stopGroupCoordinator(fb.services);
    // A cluster smaller than the setting (one dev broker) gets as many replicas as it has brokers.
    fb = await fakeBroker([], { 'offsets.topic.replication.factor': 3 });
    expect(await createdWith(fb)).toEqual([1]);
  });

  it('JoinGroup: MEMBER_ID_REQUIRED only from v4; v0-6 encode a null protocol name as ""', async () => {
    fb = await setup();
    const old = await call(fb, joinGroupHandler, 2, joinBody());
    expect(old).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    expect(old.memberId).toMatch(/^test-/);
    const v4 = await call(fb, joinGroupHandler, 4, joinBody({ groupId: 'g4' }));
    expect(v4).toMatchObject({ errorCode: GroupErr.MEMBER_ID_REQUIRED, protocolName: '', generationId: -1 });
    const v4b = await call(fb, joinGroupHandler, 4, joinBody({ groupId: 'g4', memberId: v4.memberId }));
    expect(v4b).toMatchObject({ errorCode: 0, memberId: v4.memberId, leader: v4.memberId });
    expect(v4b.members).toEqual([{ memberId: v4.memberId, groupInstanceId: null, metadata: SUB }]);
    const v7 = await call(fb, joinGroupHandler, 7, joinBody({ groupId: 'g7', sessionTimeoutMs: 1 }));
    expect(v7).toMatchObject({ errorCode: GroupErr.INVALID_SESSION_TIMEOUT, protocolName: null, protocolType: null });
    const v0 = await call(fb, joinGroupHandler, 0, joinBody({ groupId: 'g0' }));
    expect(v0).toMatchObject({ errorCode: 0, generationId: 1 });
    // v0 has no rebalance timeout: the session timeout stands in.
    expect(groupCoordinatorFor(fb.services).coordinator.group('g0')!.rebalanceTimeoutMs).toBe(10_000);
  });

  it('join, sync, heartbeat and leave through every version', async () => {
    fb = await setup();
    for (const [jv, sv, hv, lv] of [
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [3, 2, 2, 2],
      [5, 3, 3, 3],
      [6, 4, 4, 4],
      [7, 5, 4, 4],
    ]) {
      const groupId = `grp-${jv}`;
      let j = await call(fb, joinGroupHandler, jv, joinBody({ groupId }));
      if (j.errorCode === GroupErr.MEMBER_ID_REQUIRED) j = await call(fb, joinGroupHandler, jv, joinBody({ groupId, memberId: j.memberId }));
      expect(j.errorCode).toBe(0);
      if (jv >= 7) expect(j.protocolType).toBe('consumer');
      const assignment = encodeAssignment({ t: [0, 1, 2] });
      const s = await call(fb, syncGroupHandler, sv, {
        groupId,
        generationId: j.generationId,
        memberId: j.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: j.memberId, assignment }],
      });
      expect(s.errorCode).toBe(0);
      expect(Buffer.from(s.assignment).equals(assignment)).toBe(true);
      if (sv >= 5) expect(s).toMatchObject({ protocolType: 'consumer', protocolName: 'range' });
      const h = await call(fb, heartbeatHandler, hv, { groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null });
      expect(h.errorCode).toBe(0);
      const bad = await call(fb, heartbeatHandler, hv, { groupId, generationId: j.generationId + 1, memberId: j.memberId, groupInstanceId: null });
      expect(bad.errorCode).toBe(GroupErr.ILLEGAL_GENERATION);
      const l = await call(fb, leaveGroupHandler, lv, { groupId, memberId: j.memberId, members: [{ memberId: j.memberId, groupInstanceId: null, reason: null }] });
      expect(l.errorCode).toBe(0);
      if (lv >= 3) expect(l.members).toEqual([{ memberId: j.memberId, groupInstanceId: null, errorCode: 0 }]);
      const again = await call(fb, leaveGroupHandler, lv, { groupId, memberId: j.memberId, members: [{ memberId: j.memberId, groupInstanceId: null, reason: null }] });
      if (lv >= 3) expect(again.members[0].errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
      else expect(again.errorCode).toBe(GroupErr.UNKNOWN_MEMBER_ID);
    }
  });

  it('OffsetCommit v0-8 and OffsetFetch v0-7 round trip, stored as records in __consumer_offsets', async () => {
    fb = await setup();
    for (let v = 0; v <= 8; v++) {
      const groupId = `og-${v}`;
      const c = await call(fb, offsetCommitHandler, v, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: BigInt(100 + v), committedLeaderEpoch: 4, commitTimestamp: -1n, committedMetadata: `m${v}` },
              { partitionIndex: 9, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null },
            ],
          },
          { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
        ],
      });
      expect(c.topics).toEqual([
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 9, errorCode: GroupErr.UNKNOWN_TOPIC_OR_PARTITION },
          ],
        },
        { name: 'missing', partitions: [{ partitionIndex: 0, errorCode: GroupErr.UNKNOWN_TOPIC_OR_PARTITION }] },
      ]);
    }
    for (let v = 0; v <= 7; v++) {
      const f = await call(fb, offsetFetchHandler, v, { groupId: `og-${v}`, topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: false });
      expect(f.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: BigInt(100 + v), metadata: `m${v}`, errorCode: 0 });
      expect(f.topics[0].partitions[1]).toMatchObject({ partitionIndex: 1, committedOffset: -1n, metadata: '', errorCode: 0 });
      if (v >= 5) expect(f.topics[0].partitions[0].committedLeaderEpoch).toBe(v >= 6 ? 4 : -1);
    }
    // v2+: null topics = everything the group committed.
    const all = await call(fb, offsetFetchHandler, 3, { groupId: 'og-8', topics: null, requireStable: false });
    expect(all.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 108n, committedLeaderEpoch: -1, metadata: 'm8', errorCode: 0 }] }]);
    // The commits are real records in the group's offsets partition.
    const svc = groupCoordinatorFor(fb.services);
    const p = svc.coordinator.partitionFor('og-3');
    const log = fb.logs.getLog('__consumer_offsets', p)!;
    const keys = log.batches.flatMap((b) => decodeRecordBatch(b).records.map((r) => decodeOffsetsKey(r.key!)));
    expect(keys).toContainEqual({ kind: 'offset', group: 'og-3', topic: 't', partition: 0 });
  });

  it('offsets and groups survive a coordinator restart (reloaded from the log)', async () => {
    fb = await setup();
    const first = await call(fb, joinGroupHandler, 5, joinBody({ groupId: 'persist' }));
    const j = await call(fb, joinGroupHandler, 5, joinBody({ groupId: 'persist', memberId: first.memberId }));
    await call(fb, syncGroupHandler, 3, { groupId: 'persist', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, assignments: [{ memberId: j.memberId, assignment: encodeAssignment({ t: [0] }) }] });
    await call(fb, offsetCommitHandler, 5, {
      groupId: 'persist',
      generationIdOrMemberEpoch: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 77n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
    stopGroupCoordinator(fb.services);
    groupCoordinatorFor(fb.services);
    await new Promise((r) => setTimeout(r, 20));
    const f = await call(fb, offsetFetchHandler, 4, { groupId: 'persist', topics: null, requireStable: false });
    expect(f.errorCode).toBe(0);
    expect(f.topics[0].partitions[0].committedOffset).toBe(77n);
    const d = await call(fb, describeGroupsHandler, 4, { groups: ['persist'], includeAuthorizedOperations: true });
    expect(d.groups[0]).toMatchObject({ groupState: 'Stable', protocolData: 'range', authorizedOperations: 328 });
    expect(d.groups[0].members[0]).toMatchObject({ memberId: j.memberId, clientId: 'test', clientHost: '/127.0.0.1' });
    const h = await call(fb, heartbeatHandler, 3, { groupId: 'persist', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null });
    expect(h.errorCode).toBe(0);
  });

  it('DescribeGroups v0-5, ListGroups v0-4, DeleteGroups v0-2, OffsetDelete v0', async () => {
    fb = await setup();
    const j = await call(fb, joinGroupHandler, 3, joinBody({ groupId: 'active' }));
    await call(fb, syncGroupHandler, 2, { groupId: 'active', generationId: j.generationId, memberId: j.memberId, assignments: [{ memberId: j.memberId, assignment: encodeAssignment({ t: [0] }) }] });
    const commit = (groupId: string, partition = 0) =>
      call(fb, offsetCommitHandler, 2, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: -1n,
        topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: 5n, committedMetadata: null }] }],
      });
    await commit('idle');
    for (let v = 0; v <= 5; v++) {
      const d = await call(fb, describeGroupsHandler, v, { groups: ['active', 'idle', 'nope'], includeAuthorizedOperations: false });
      expect(d.groups.map((g: any) => [g.groupId, g.errorCode, g.groupState])).toEqual([
        ['active', 0, 'Stable'],
        ['idle', 0, 'Empty'],
        ['nope', 0, 'Dead'],
      ]);
      if (v >= 4) expect(d.groups[0].members[0].groupInstanceId).toBeNull();
    }
    for (let v = 0; v <= 4; v++) {
      const l = await call(fb, listGroupsHandler, v, { statesFilter: v >= 4 ? ['Stable'] : [] });
      expect(l.errorCode).toBe(0);
      const ids = l.groups.map((g: any) => g.groupId).sort();
      expect(ids).toEqual(v >= 4 ? ['active'] : ['active', 'idle']);
      if (v >= 4) expect(l.groups[0].groupState).toBe('Stable');
    }
    const od = await call(fb, offsetDeleteHandler, 0, { groupId: 'idle', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }, { partitionIndex: 7 }] }] });
    expect(od).toEqual({ errorCode: 0, throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 7, errorCode: GroupErr.UNKNOWN_TOPIC_OR_PARTITION }] }] });
    const od2 = await call(fb, offsetDeleteHandler, 0, { groupId: 'active', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
    expect(od2.topics[0].partitions[0].errorCode).toBe(GroupErr.GROUP_SUBSCRIBED_TO_TOPIC);
    expect((await call(fb, offsetDeleteHandler, 0, { groupId: 'nope', topics: [] })).errorCode).toBe(GroupErr.GROUP_ID_NOT_FOUND);
    for (let v = 0; v <= 2; v++) {
      await commit(`del-${v}`);
      const r = await call(fb, deleteGroupsHandler, v, { groupsNames: [`del-${v}`, 'active', 'nope'] });
      expect(r.results).toEqual([
        { groupId: `del-${v}`, errorCode: 0 },
        { groupId: 'active', errorCode: GroupErr.NON_EMPTY_GROUP },
        { groupId: 'nope', errorCode: GroupErr.GROUP_ID_NOT_FOUND },
      ]);
    }
  });

  it('places groups by the real partition count of an existing __consumer_offsets', async () => {
    fb = await setup({ 'offsets.topic.num.partitions': 50 });
    const svc = groupCoordinatorFor(fb.services);
    await new Promise((r) => setTimeout(r, 20));
    expect(svc.coordinator.config.offsetsTopicNumPartitions).toBe(5);
    expect(svc.coordinator.ownedPartitions()).toEqual([0, 1, 2, 3, 4]);
    const j = await call(fb, joinGroupHandler, 3, joinBody({ groupId: 'placed' }));
    expect(j.errorCode).toBe(0);
  });

  it('NOT_COORDINATOR everywhere when another broker leads the group\'s offsets partition', async () => {
    fb = await setup({}, 2);
    expect((await call(fb, joinGroupHandler, 5, joinBody())).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect((await call(fb, syncGroupHandler, 3, { groupId: 'g', generationId: 1, memberId: 'm', assignments: [] })).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect((await call(fb, heartbeatHandler, 3, { groupId: 'g', generationId: 1, memberId: 'm' })).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect((await call(fb, leaveGroupHandler, 1, { groupId: 'g', memberId: 'm' })).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    const f1 = await call(fb, offsetFetchHandler, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(f1.topics[0].partitions[0].errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect((await call(fb, offsetFetchHandler, 4, { groupId: 'g', topics: null })).errorCode).toBe(GroupErr.NOT_COORDINATOR);
    const c = await call(fb, offsetCommitHandler, 7, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] });
    expect(c.topics[0].partitions[0].errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect((await call(fb, describeGroupsHandler, 2, { groups: ['g'] })).groups[0].errorCode).toBe(GroupErr.NOT_COORDINATOR);
    expect((await call(fb, listGroupsHandler, 2, {})).groups).toEqual([]);
    const fc = await call(fb, findCoordinatorHandler, 2, { key: 'g', keyType: 0 });
    // Broker 2 is not registered in this fake cluster, so there is no endpoint to hand out.
    expect(fc.errorCode).toBe(GroupErr.COORDINATOR_NOT_AVAILABLE);
  });
});
