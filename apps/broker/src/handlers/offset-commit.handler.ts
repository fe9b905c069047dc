// OffsetCommit (key 8, v0-8). Partitions the metadata doesn't know get UNKNOWN_TOPIC_OR_PARTITION; the rest go
// to the group coordinator, which validates member and generation (generation -1 with an empty member id is a
// commit from outside any group, allowed while the group has no members) and appends them to
// __consumer_offsets. v1 may carry a commit timestamp and v2-4 a retention time (per-offset expiry).
import type { OffsetCommitRequest, OffsetCommitResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';
import { GroupErr } from '../groups/group-errors';
import type { OffsetCommitEntry } from '../groups/group-coordinator';

type TopicResult = { name: string; partitions: { partitionIndex: number; errorCode: number }[] };

function allWith(req: OffsetCommitRequest, errorCode: number): TopicResult[] {
  return arr(req.topics).map((t) => ({ name: t.name, partitions: arr(t.partitions).map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: 8,
  minVersion: 0,
  maxVersion: 8,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const metadata = ctx.services.metadata;
    const topics: TopicResult[] = [];
    const slots = new Map<string, { partitionIndex: number; errorCode: number }>();
    const entries: OffsetCommitEntry[] = [];
    for (const t of arr(req.topics)) {
      const out: TopicResult = { name: t.name, partitions: [] };
      topics.push(out);
      for (const p of arr(t.partitions)) {
        const slot: { partitionIndex: number; errorCode: number } = { partitionIndex: p.partitionIndex, errorCode: GroupErr.NONE };
        out.partitions.push(slot);
        if (!metadata.partition(t.name, p.partitionIndex)) {
          slot.errorCode = GroupErr.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        slots.set(`${t.name}\u0000${p.partitionIndex}`, slot);
        entries.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: BigInt(p.committedOffset),
          leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata ?? null,
          commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
        });
      }
    }
    if (entries.length > 0) {
      const results = await coordinatorOf(ctx).commitOffsets({
        groupId: req.groupId,
        generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: v >= 1 ? (req.memberId ?? '') : '',
        groupInstanceId: v >= 7 ? (req.groupInstanceId ?? null) : null,
        retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
        offsets: entries,
      });
      for (const r of results) {
        const slot = slots.get(`${r.topic}\u0000${r.partition}`);
        if (slot) slot.errorCode = r.errorCode;
      }
    }
    return { throttleTimeMs: 0, topics } as unknown as OffsetCommitResponse;
  },
  errorResponse(_ctx, req, errorCode) {
    return { throttleTimeMs: 0, topics: allWith(req, errorCode) } as unknown as OffsetCommitResponse;
  },
};
