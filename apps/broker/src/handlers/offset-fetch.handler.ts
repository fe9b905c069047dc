// OffsetFetch (key 9, v0-7; v8's multi-group form is not offered). A partition without a committed offset
// answers -1 with no error. v0-1 have no top-level error, so coordinator errors go on every partition;
// v2+ may ask for all of the group's offsets (topics = null) and carry a top-level error.
import type { OffsetFetchRequest, OffsetFetchResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';

type Partition = { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number };

function errorBody(version: number, req: OffsetFetchRequest, errorCode: number): OffsetFetchResponse {
  if (version >= 2) return { throttleTimeMs: 0, errorCode, topics: [] } as unknown as OffsetFetchResponse;
  return {
    throttleTimeMs: 0,
    errorCode,
    topics: arr(req.topics).map((t) => ({
      name: t.name,
      partitions: arr(t.partitionIndexes).map(
        (p): Partition => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode }),
      ),
    })),
  } as unknown as OffsetFetchResponse;
}

export const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: 9,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const wanted = v >= 2 && req.topics === null ? null : arr(req.topics).map((t) => ({ name: t.name, partitions: arr(t.partitionIndexes) }));
    const out = coordinatorOf(ctx).fetchOffsets(req.groupId, wanted);
    if (out.errorCode !== 0) return errorBody(v, req, out.errorCode);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: out.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map(
          (p): Partition => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: p.leaderEpoch,
            metadata: p.metadata,
            errorCode: p.errorCode,
          }),
        ),
      })),
    } as unknown as OffsetFetchResponse;
  },
  errorResponse(ctx, req, errorCode) {
    return errorBody(ctx.apiVersion, req, errorCode);
  },
};
