// DescribeGroups (key 15, v0-5): state, protocol and members of each group. Unknown groups are reported as
// "Dead" with no error (as Kafka does); groups coordinated elsewhere get NOT_COORDINATOR.
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '@runnel/protocol';
import type { ApiHandler } from '../api/handler';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS, arr, coordinatorOf } from '../groups/group-api';

export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: 15,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const c = coordinatorOf(ctx);
    const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: arr(req.groups).map((groupId) => {
        const d = c.describeGroup(groupId);
        return {
          errorCode: d.errorCode,
          groupId: d.groupId,
          groupState: d.groupState,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.memberMetadata,
            memberAssignment: m.memberAssignment,
          })),
          authorizedOperations: d.errorCode === 0 ? ops : AUTHORIZED_OPERATIONS_OMITTED,
        };
      }),
    } as unknown as DescribeGroupsResponse;
  },
  errorResponse(_ctx, req, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: arr(req.groups).map((groupId) => ({
        errorCode,
        groupId,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    } as unknown as DescribeGroupsResponse;
  },
};
