// LeaveGroup (key 13, v0-4). v0-2 name one member; v3+ a batch of members (by member id and/or
// group.instance.id, the admin "remove members" path) with an error per member.
import type { LeaveGroupRequest, LeaveGroupResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';

export const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: 13,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const members =
      v >= 3
        ? arr(req.members).map((m) => ({ memberId: m.memberId ?? '', groupInstanceId: m.groupInstanceId ?? null, reason: m.reason ?? null }))
        : [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    const out = coordinatorOf(ctx).leaveGroup(req.groupId, members);
    if (v < 3) {
      // One member: its error is the request's error.
      const errorCode = out.errorCode !== 0 ? out.errorCode : (out.members[0]?.errorCode ?? 0);
      return { throttleTimeMs: 0, errorCode, members: [] } as unknown as LeaveGroupResponse;
    }
    return {
      throttleTimeMs: 0,
      errorCode: out.errorCode,
      members: out.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })),
    } as unknown as LeaveGroupResponse;
  },
  errorResponse(_ctx, _req, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] } as unknown as LeaveGroupResponse;
  },
};
