// DescribeCluster (key 60, v0-1, flexible): cluster id, the controller id clients should use (the same choice
// Metadata makes, so kafkajs-style "send admin requests to the controller" lands on a live broker), and the live
// brokers on the listener the request came in on, with racks. Brokers serve endpoint type 1 only.
import { ApiKey } from '@runnel/protocol';
import type { DescribeClusterRequest, DescribeClusterResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import { AUTHORIZED_OPERATIONS_OMITTED, Err } from '../admin/constants';

const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;

/**
 * Without an authorizer Kafka reports every operation the CLUSTER resource supports: CREATE(5), ALTER(7),
 * DESCRIBE(8), CLUSTER_ACTION(9), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), IDEMPOTENT_WRITE(12).
 */
export const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, op) => bits | (1 << op), 0);

function base(ctx: RequestContext, endpointType: number): DescribeClusterResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType,
    clusterId: ctx.services.metadata.clusterId ?? '',
    controllerId: -1,
    brokers: [],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  } as DescribeClusterResponse;
}

export async function describeCluster(ctx: RequestContext, req: DescribeClusterRequest): Promise<DescribeClusterResponse> {
  const endpointType = ctx.apiVersion >= 1 && typeof req.endpointType === 'number' ? req.endpointType : ENDPOINT_BROKERS;
  const out = base(ctx, endpointType);
  if (endpointType !== ENDPOINT_BROKERS) {
    out.errorCode = endpointType === ENDPOINT_CONTROLLERS ? Err.MISMATCHED_ENDPOINT_TYPE : Err.UNSUPPORTED_ENDPOINT_TYPE;
    out.errorMessage =
      endpointType === ENDPOINT_CONTROLLERS
        ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
        : `Unsupported endpoint type ${endpointType}`;
    return out;
  }
  const { metadata, nodeId } = ctx.services;
  const brokers: DescribeClusterResponse.DescribeClusterBroker[] = [];
  for (const b of metadata.aliveBrokers()) {
    const ep = b.endpoints.find((e) => e.name === ctx.listener);
    if (ep) brokers.push({ brokerId: b.id, host: ep.host, port: ep.port, rack: b.rack ?? null } as DescribeClusterResponse.DescribeClusterBroker);
  }
  out.brokers = brokers;
  out.controllerId = brokers.some((b) => b.brokerId === nodeId) ? nodeId : (brokers[0]?.brokerId ?? -1);
  if (req.includeClusterAuthorizedOperations === true) out.clusterAuthorizedOperations = CLUSTER_OPERATIONS;
  return out;
}

export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle: (ctx, req) => describeCluster(ctx, req),
  errorResponse(ctx, _req, errorCode) {
    return { ...base(ctx, ENDPOINT_BROKERS), errorCode };
  },
};
