// Heartbeat (key 12, v0-4): keeps a member's session alive and tells it when to rejoin
// (REBALANCE_IN_PROGRESS), or that it is gone (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID).
import type { HeartbeatRequest, HeartbeatResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { coordinatorOf } from '../groups/group-api';

export const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: 12,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const errorCode = coordinatorOf(ctx).heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? (req.groupInstanceId ?? null) : null,
    });
    return { throttleTimeMs: 0, errorCode } as HeartbeatResponse;
  },
  errorResponse(_ctx, _req, errorCode) {
    return { throttleTimeMs: 0, errorCode } as HeartbeatResponse;
  },
};
