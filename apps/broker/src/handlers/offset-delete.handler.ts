// OffsetDelete (key 47, v0, KIP-496): deletes committed offsets of a group for the given partitions. Allowed for
// empty groups, and for active consumer groups only on topics they do not subscribe to
// (GROUP_SUBSCRIBED_TO_TOPIC otherwise). Unknown partitions get UNKNOWN_TOPIC_OR_PARTITION.
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';
import { GroupErr } from '../groups/group-errors';

type TopicOut = { name: string; partitions: { partitionIndex: number; errorCode: number }[] };

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: 47,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const metadata = ctx.services.metadata;
    const topics: TopicOut[] = [];
    const slots = new Map<string, { partitionIndex: number; errorCode: number }>();
    const known: { name: string; partitions: number[] }[] = [];
    for (const t of arr(req.topics)) {
      const out: TopicOut = { name: t.name, partitions: [] };
      topics.push(out);
      const ok: number[] = [];
      for (const p of arr(t.partitions)) {
        const slot: { partitionIndex: number; errorCode: number } = { partitionIndex: p.partitionIndex, errorCode: GroupErr.NONE };
        out.partitions.push(slot);
        if (!metadata.partition(t.name, p.partitionIndex)) slot.errorCode = GroupErr.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          ok.push(p.partitionIndex);
          slots.set(`${t.name}\u0000${p.partitionIndex}`, slot);
        }
      }
      if (ok.length > 0) known.push({ name: t.name, partitions: ok });
    }
    const res = await coordinatorOf(ctx).deleteOffsets(req.groupId, known);
    if (res.errorCode !== 0) return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [] } as unknown as OffsetDeleteResponse;
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const slot = slots.get(`${t.name}\u0000${p.partition}`);
        if (slot) slot.errorCode = p.errorCode;
      }
    }
    return { errorCode: 0, throttleTimeMs: 0, topics } as unknown as OffsetDeleteResponse;
  },
  errorResponse(_ctx, _req, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] } as unknown as OffsetDeleteResponse;
  },
};
