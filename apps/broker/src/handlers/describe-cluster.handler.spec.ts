import { AUTHORIZED_OPERATIONS_OMITTED, Err } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { CLUSTER_OPERATIONS, describeClusterHandler } from './describe-cluster.handler';

describe('DescribeCluster', () => {
  const cluster = new FakeCluster();
  cluster.registerBroker(2, 'host2', 9095, 'rack-b');

  it('lists live brokers on the request listener with racks, the cluster id and a controller id', async () => {
    const out = await describeClusterHandler.handle(cluster.context({ apiVersion: 0 }), { includeClusterAuthorizedOperations: false } as any);
    expect(out).toMatchObject({ errorCode: 0, errorMessage: null, clusterId: 'test-cluster-id-000000', controllerId: 1, clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
    expect(out!.brokers).toEqual([
      { brokerId: 1, host: 'localhost', port: 9092, rack: null },
      { brokerId: 2, host: 'host2', port: 9095, rack: 'rack-b' },
    ]);
  });

  it('reports the cluster operations when asked (no authorizer: all of them)', async () => {
    const out = await describeClusterHandler.handle(cluster.context({ apiVersion: 1 }), { includeClusterAuthorizedOperations: true, endpointType: 1 } as any);
    expect(out!.clusterAuthorizedOperations).toBe(CLUSTER_OPERATIONS);
    expect(out!.endpointType).toBe(1);
  });

  it('endpoint type 2 (controllers) is a mismatch on a broker; others unsupported', async () => {
    const a = await describeClusterHandler.handle(cluster.context({ apiVersion: 1 }), { includeClusterAuthorizedOperations: false, endpointType: 2 } as any);
    expect(a!.errorCode).toBe(Err.MISMATCHED_ENDPOINT_TYPE);
    expect(a!.brokers).toEqual([]);
    const b = await describeClusterHandler.handle(cluster.context({ apiVersion: 1 }), { includeClusterAuthorizedOperations: false, endpointType: 9 } as any);
    expect(b!.errorCode).toBe(Err.UNSUPPORTED_ENDPOINT_TYPE);
  });
});
