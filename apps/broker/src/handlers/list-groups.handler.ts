// ListGroups (key 16, v0-4): the groups this broker coordinates (clients ask every broker and merge).
// v4 filters by state. COORDINATOR_LOAD_IN_PROGRESS while an owned offsets partition is still loading.
import type { ListGroupsRequest, ListGroupsResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';

export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: 16,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const out = coordinatorOf(ctx).listGroups(ctx.apiVersion >= 4 ? arr(req.statesFilter) : []);
    return {
      throttleTimeMs: 0,
      errorCode: out.errorCode,
      groups: out.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState, groupType: 'classic' })),
    } as unknown as ListGroupsResponse;
  },
  errorResponse(_ctx, _req, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] } as unknown as ListGroupsResponse;
  },
};
