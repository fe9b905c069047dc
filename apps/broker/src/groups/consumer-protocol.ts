// Just enough of the "consumer" embedded protocol (ConsumerProtocolSubscription / ConsumerProtocolAssignment,
// both prefixed with an int16 version and never flexible) to learn which topics a group subscribes to and
// which partitions each member owns. Used for offset expiry (KIP-211: offsets of subscribed topics don't
// expire while the group is active), OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and lag metrics.
// Only the leading fields are read (a client that trims the trailing ones is still understood), and anything
// unparsable yields null: the coordinator never rejects a member over its opaque metadata.

import { encodeVersionedMessage, Reader } from '@runnel/protocol';

export function parseSubscriptionTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const n = Math.max(0, r.arrayLength(2));
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return topics;
  } catch {
    return null;
  }
}

export function parseAssignment(assignment: Buffer): Map<string, number[]> | null {
  if (assignment.length === 0) return new Map();
  try {
    const r = new Reader(assignment);
    const version = r.int16();
    if (version < 0) return null;
    const out = new Map<string, number[]>();
    const n = Math.max(0, r.arrayLength(2));
    for (let i = 0; i < n; i++) {
      const topic = r.string();
      const m = Math.max(0, r.arrayLength(4));
      const parts: number[] = [];
      for (let j = 0; j < m; j++) parts.push(r.int32());
      out.set(topic, [...(out.get(topic) ?? []), ...parts]);
    }
    return out;
  } catch {
    return null;
  }
}

/** Build a version-0 subscription (tests and tools). */
export function encodeSubscription(topics: readonly string[], userData: Buffer | null = null): Buffer {
  return encodeVersionedMessage('ConsumerProtocolSubscription', 0, { topics: [...topics], userData });
}

/** Build a version-0 assignment (tests and tools). */
export function encodeAssignment(assignment: Record<string, number[]>): Buffer {
  const assignedPartitions = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
  return encodeVersionedMessage('ConsumerProtocolAssignment', 0, { assignedPartitions, userData: null });
}
