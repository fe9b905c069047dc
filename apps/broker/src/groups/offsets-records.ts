// Keys and values of the __consumer_offsets topic in Kafka's own binary layout, so Kafka tooling that reads
// the topic (Burrow, kafka-console-consumer's offsets formatter) understands what we write:
//   key   = int16 version + body: version 0/1 -> OffsetCommitKey {group, topic, partition},
//                                 version 2   -> GroupMetadataKey {group}
//   value = int16 version + body: OffsetCommitValue v0-4 / GroupMetadataValue v0-4; null value = tombstone.
// We write what current Kafka writes: OffsetCommitKey v1, OffsetCommitValue v3 (v1 when the commit carries an
// explicit expiry), GroupMetadataValue v3. Every version 0-4 is read back (v4 is the flexible encoding).
import { decodeVersionedMessage, encodeVersionedMessage } from '@runnel/protocol';
import type { CommittedOffset } from './group-metadata';

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when the record has none (value versions 0-1). */
  currentStateTimestamp: number;
  members: StoredMember[];
}

export type OffsetsKey =
  | { kind: 'offset'; group: string; topic: string; partition: number }
  | { kind: 'group'; group: string };

// ---------------------------------------------------------------------------------------------------------
// Writing and reading go through the generic codec driven by Kafka's own record schemas
// (libs/protocol: kafka-internal-records/OffsetCommitKey|Value, GroupMetadataKey|Value).

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return encodeVersionedMessage('OffsetCommitKey', 1, { group, topic, partition });
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return encodeVersionedMessage('GroupMetadataKey', 2, { group });
}

export function encodeOffsetCommitValue(o: CommittedOffset): Buffer {
  const common = { offset: o.offset, metadata: o.metadata, commitTimestamp: o.commitTimestamp };
  // Only v1 can carry an explicit expiry (old clients' retention_time_ms).
  if (o.expireTimestamp !== null) return encodeVersionedMessage('OffsetCommitValue', 1, { ...common, expireTimestamp: o.expireTimestamp });
  return encodeVersionedMessage('OffsetCommitValue', 3, { ...common, leaderEpoch: o.leaderEpoch });
}

export function encodeGroupMetadataValue(g: StoredGroup): Buffer {
  return encodeVersionedMessage('GroupMetadataValue', 3, {
    protocolType: g.protocolType,
    generation: g.generation,
    protocol: g.protocol,
    leader: g.leader,
    currentStateTimestamp: g.currentStateTimestamp,
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
}

/** Decode a record key; null for key versions this coordinator does not use (e.g. KIP-848 record types). */
export function decodeOffsetsKey(key: Buffer): OffsetsKey | null {
  if (key.length < 2) throw new RangeError('truncated __consumer_offsets key');
  const version = key.readInt16BE(0);
  if (version === 0 || version === 1) {
    const { data } = decodeVersionedMessage('OffsetCommitKey', key, { clampNewer: false });
    return { kind: 'offset', group: data.group, topic: data.topic, partition: data.partition };
  }
  if (version === 2) return { kind: 'group', group: decodeVersionedMessage('GroupMetadataKey', key, { clampNewer: false }).data.group };
  return null;
}

export function decodeOffsetCommitValue(value: Buffer): CommittedOffset {
  const { version, data } = decodeVersionedMessage('OffsetCommitValue', value, { clampNewer: false });
  const expire = version === 1 ? Number(data.expireTimestamp) : -1;
  return {
    offset: data.offset,
    leaderEpoch: data.leaderEpoch,
    metadata: data.metadata,
    commitTimestamp: Number(data.commitTimestamp),
    expireTimestamp: expire >= 0 ? expire : null,
  };
}

export function decodeGroupMetadataValue(value: Buffer): StoredGroup {
  const { data } = decodeVersionedMessage('GroupMetadataValue', value, { clampNewer: false });
  return {
    protocolType: data.protocolType,
    generation: data.generation,
    protocol: data.protocol,
    leader: data.leader,
    currentStateTimestamp: Number(data.currentStateTimestamp),
    members: data.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      // Value v0 has no rebalance timeout: Kafka uses the session timeout then.
      rebalanceTimeoutMs: m.rebalanceTimeout < 0 ? m.sessionTimeout : m.rebalanceTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      subscription: m.subscription,
      assignment: m.assignment,
    })),
  };
}
