// DeleteGroups (key 42, v0-2): removes empty groups (their offsets and metadata get tombstones in
// __consumer_offsets). Active groups answer NON_EMPTY_GROUP, unknown ones GROUP_ID_NOT_FOUND.
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { arr, coordinatorOf } from '../groups/group-api';

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: 42,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const results = await coordinatorOf(ctx).deleteGroups(arr(req.groupsNames));
    return { throttleTimeMs: 0, results: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })) } as unknown as DeleteGroupsResponse;
  },
  errorResponse(_ctx, req, errorCode) {
    return { throttleTimeMs: 0, results: arr(req.groupsNames).map((groupId) => ({ groupId, errorCode })) } as unknown as DeleteGroupsResponse;
  },
};
