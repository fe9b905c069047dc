// JoinGroup (key 11, v0-7). Parks until the rebalance completes. v4+ clients first get MEMBER_ID_REQUIRED with
// their member id (KIP-394); older versions never see that error. v5+ carries group.instance.id (static
// membership). Before v7 the protocol name is not nullable, so errors carry "" there.
import type { JoinGroupRequest, JoinGroupResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, clientHostOf, coordinatorOf } from '../groups/group-api';
import type { JoinGroupResult } from '../groups/group-metadata';

function toResponse(version: number, r: JoinGroupResult): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: r.protocolName ?? (version >= 7 ? null : ''),
    leader: r.leader,
    skipAssignment: false,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  } as JoinGroupResponse;
}

export const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: 11,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const result = await coordinatorOf(ctx).joinGroup({
      groupId: req.groupId,
      memberId: req.memberId ?? '',
      groupInstanceId: v >= 5 ? (req.groupInstanceId ?? null) : null,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
      protocolType: req.protocolType ?? '',
      protocols: arr(req.protocols).map((p) => ({ name: p.name, metadata: p.metadata ?? Buffer.alloc(0) })),
      requireKnownMemberId: v >= 4,
      reason: req.reason ?? null,
    });
    return toResponse(v, result);
  },
  errorResponse(ctx, req, errorCode) {
    return toResponse(ctx.apiVersion, {
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      memberId: req.memberId ?? '',
      members: [],
      skipAssignment: false,
    });
  },
};
