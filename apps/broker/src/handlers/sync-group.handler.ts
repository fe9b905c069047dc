// SyncGroup (key 14, v0-5): the leader hands in the assignment; every member parks until it is stored and
// then receives its own part. v5 also checks the protocol type and name against the group's.
import type { SyncGroupRequest, SyncGroupResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';

export const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: 14,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const r = await coordinatorOf(ctx).syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? (req.groupInstanceId ?? null) : null,
      protocolType: v >= 5 ? (req.protocolType ?? null) : null,
      protocolName: v >= 5 ? (req.protocolName ?? null) : null,
      assignments: arr(req.assignments).map((a) => ({ memberId: a.memberId, assignment: a.assignment ?? Buffer.alloc(0) })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: r.assignment,
    } as SyncGroupResponse;
  },
  errorResponse(_ctx, _req, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) } as SyncGroupResponse;
  },
};
