import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';

/** Brokers learn the cluster id here (the metadata log does not carry it). */
export function describeClusterHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    async handle(ctx, req) {
      const wantControllers = ctx.header.apiVersion >= 1 && req.endpointType === 2;
      const brokers = wantControllers
        ? s.voterEndpoints.map((v) => ({ brokerId: v.nodeId, host: v.host, port: v.port, rack: null }))
        : s.controller.image.activeBrokers().map((b) => {
            const e = b.endpoints[0];
            return { brokerId: b.id, host: e?.host ?? '', port: e?.port ?? -1, rack: b.rack };
          });
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        endpointType: wantControllers ? 2 : 1,
        clusterId: s.clusterId,
        controllerId: s.raft.isLeader() ? s.raft.nodeId : s.raft.leaderId,
        brokers,
        clusterAuthorizedOperations: -2147483648,
      };
    },
  };
}
