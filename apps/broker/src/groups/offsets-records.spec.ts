// The __consumer_offsets formats checked against the generic codec generated from Kafka's own record specs
// (OffsetCommitKey/Value, GroupMetadataKey/Value): same bytes when we write, and every version (including the
// flexible v4 values newer Kafka writes) decodes.
import { decodeMessage, encodeMessage } from '@runnel/protocol';
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

const version = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

const group: StoredGroup = {
  protocolType: 'consumer',
  generation: 7,
  protocol: 'range',
  leader: 'm-1',
  currentStateTimestamp: 1_700_000_000_123,
  members: [
    {
      memberId: 'm-1',
      groupInstanceId: 'inst',
      clientId: 'c',
      clientHost: '/10.0.0.1',
      rebalanceTimeoutMs: 60_000,
      sessionTimeoutMs: 10_000,
      subscription: Buffer.from([0, 1, 2]),
      assignment: Buffer.from([3, 4]),
    },
  ],
};

const asSpec = (g: StoredGroup) => ({
  protocolType: g.protocolType,
  generation: g.generation,
  protocol: g.protocol,
  leader: g.leader,
  currentStateTimestamp: BigInt(g.currentStateTimestamp),
  members: g.members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    rebalanceTimeout: m.rebalanceTimeoutMs,
    sessionTimeout: m.sessionTimeoutMs,
    subscription: m.subscription,
    assignment: m.assignment,
  })),
});

describe('__consumer_offsets records', () => {
  it('OffsetCommitKey v1 and GroupMetadataKey v2 match the spec encoding', () => {
    const k = encodeOffsetCommitKey('grp', 'topic', 5);
    expect(k).toEqual(Buffer.concat([version(1), encodeMessage('OffsetCommitKey', 1, { group: 'grp', topic: 'topic', partition: 5 })]));
    expect(decodeOffsetsKey(k)).toEqual({ kind: 'offset', group: 'grp', topic: 'topic', partition: 5 });
    const g = encodeGroupMetadataKey('grp');
    expect(g).toEqual(Buffer.concat([version(2), encodeMessage('GroupMetadataKey', 2, { group: 'grp' })]));
    // Key version 0 (old brokers) reads the same; unknown key versions (KIP-848 records) are skipped.
    expect(decodeOffsetsKey(Buffer.concat([version(0), encodeMessage('OffsetCommitKey', 0, { group: 'g', topic: 't', partition: 1 })]))).toEqual({
      kind: 'offset',
      group: 'g',
      topic: 't',
      partition: 1,
    });
    expect(decodeOffsetsKey(Buffer.concat([version(11), Buffer.from([0, 1, 65])]))).toBeNull();
  });

  it('OffsetCommitValue v3 (and v1 with an expiry) match the spec; v0-v4 decode', () => {
    const o = { offset: 123n, leaderEpoch: 4, metadata: 'meta', commitTimestamp: 1_700_000_000_000, expireTimestamp: null };
    const v3 = encodeOffsetCommitValue(o);
    expect(v3).toEqual(Buffer.concat([version(3), encodeMessage('OffsetCommitValue', 3, { offset: 123n, leaderEpoch: 4, metadata: 'meta', commitTimestamp: 1_700_000_000_000n })]));
    const v1 = encodeOffsetCommitValue({ ...o, expireTimestamp: 1_700_000_500_000 });
    expect(v1).toEqual(
      Buffer.concat([version(1), encodeMessage('OffsetCommitValue', 1, { offset: 123n, metadata: 'meta', commitTimestamp: 1_700_000_000_000n, expireTimestamp: 1_700_000_500_000n })]),
    );
    expect(decodeOffsetCommitValue(v1)).toEqual({ ...o, leaderEpoch: -1, expireTimestamp: 1_700_000_500_000 });
    for (const v of [0, 2, 3, 4]) {
      const body = encodeMessage('OffsetCommitValue', v, { offset: 9n, leaderEpoch: 2, metadata: 'x', commitTimestamp: 5n });
      expect(decodeOffsetCommitValue(Buffer.concat([version(v), body]))).toEqual({
        offset: 9n,
        leaderEpoch: v >= 3 ? 2 : -1,
        metadata: 'x',
        commitTimestamp: 5,
        expireTimestamp: null,
      });
    }
  });

  it('GroupMetadataValue v3 matches the spec; v0-v4 decode', () => {
    const enc = encodeGroupMetadataValue(group);
    expect(enc).toEqual(Buffer.concat([version(3), encodeMessage('GroupMetadataValue', 3, asSpec(group))]));
    expect(decodeMessage('GroupMetadataValue', 3, enc.subarray(2))).toMatchObject({ generation: 7, protocol: 'range' });
    for (const v of [0, 1, 2, 3, 4]) {
      const decoded = decodeGroupMetadataValue(Buffer.concat([version(v), encodeMessage('GroupMetadataValue', v, asSpec(group))]));
      expect(decoded).toMatchObject({ protocolType: 'consumer', generation: 7, protocol: 'range', leader: 'm-1' });
      expect(decoded.currentStateTimestamp).toBe(v >= 2 ? group.currentStateTimestamp : -1);
      expect(decoded.members[0]).toMatchObject({
        memberId: 'm-1',
        groupInstanceId: v >= 3 ? 'inst' : null,
        clientHost: '/10.0.0.1',
        rebalanceTimeoutMs: v >= 1 ? 60_000 : 10_000,
        sessionTimeoutMs: 10_000,
      });
      expect(decoded.members[0].assignment).toEqual(Buffer.from([3, 4]));
    }
    // An empty group (no protocol, no leader) round-trips with nulls.
    const empty = encodeGroupMetadataValue({ ...group, protocol: null, leader: null, members: [] });
    expect(decodeGroupMetadataValue(empty)).toMatchObject({ protocol: null, leader: null, members: [] });
  });
});
