import { ApiKey, ErrorCode } from '@runnel/protocol';
import { Err } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { electLeadersHandler } from './elect-leaders.handler';

/** A topic on brokers 1 and 2 whose preferred leader 1 does not lead. */
function clusterWithMovedLeader(): FakeCluster {
  const cluster = new FakeCluster();
  cluster.registerBroker(2, 'localhost', 9093, null);
  const topicId = cluster.createTopic('t', 1, [1, 2]);
  cluster.image.apply({ name: 'PartitionChangeRecord', data: { partitionId: 0, topicId, leader: 2 } } as any);
  return cluster;
}

describe('ElectLeaders', () => {
  it('forwards at v2 and waits until the metadata shows the preferred leader', async () => {
    const cluster = clusterWithMovedLeader();
    const calls: any[] = [];
    const ctx = cluster.context({
      apiVersion: 1,
      forward: async (apiKey, version, body) => {
        calls.push({ apiKey, version, body });
        // The controller answers, then the change reaches this broker's metadata a moment later.
        setTimeout(() => {
          const topicId = cluster.metadata.topic('t')!.topicId;
          cluster.image.apply({ name: 'PartitionChangeRecord', data: { partitionId: 0, topicId, leader: 1 } } as any);
        }, 20);
        return { throttleTimeMs: 0, errorCode: 0, replicaElectionResults: [{ topic: 't', partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] }] };
      },
    });
    const res = await electLeadersHandler.handle(ctx, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 2000 } as any);
    expect(calls).toEqual([{ apiKey: ApiKey.ElectLeaders, version: 2, body: { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 2000 } }]);
    expect(res!.replicaElectionResults[0].partitionResult[0]).toEqual({ partitionId: 0, errorCode: 0, errorMessage: null });
    expect(cluster.metadata.topic('t')!.partitions[0].leader).toBe(1);
  });

  it('v0 always asks for a preferred election; partition errors get Kafka messages', async () => {
    const cluster = clusterWithMovedLeader();
    const calls: any[] = [];
    const ctx = cluster.context({
      apiVersion: 0,
      forward: async (_k, _v, body) => {
        calls.push(body);
        return { errorCode: 0, replicaElectionResults: [{ topic: 't', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null }] }] };
      },
    });
    const res = await electLeadersHandler.handle(ctx, { electionType: 1, topicPartitions: null, timeoutMs: 100 } as any);
    expect(calls[0]).toMatchObject({ electionType: 0, topicPartitions: null });
    expect(res!.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    expect(res!.replicaElectionResults[0].partitionResult[0].errorMessage).toMatch(/election/i);
  });

  it('retries NOT_CONTROLLER answers and gives REQUEST_TIMED_OUT when the controller never settles', async () => {
    const cluster = clusterWithMovedLeader();
    let n = 0;
    const ctx = cluster.context({
      apiVersion: 2,
      forward: async () => {
        n++;
        return { errorCode: Err.NOT_CONTROLLER, replicaElectionResults: [] };
      },
    });
    const res = await electLeadersHandler.handle(ctx, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 300 } as any);
    expect(n).toBeGreaterThan(1);
    expect(res!.replicaElectionResults[0].partitionResult[0].errorCode).toBe(Err.REQUEST_TIMED_OUT);
  });

  it('the framework error response names every requested partition', () => {
    const res = electLeadersHandler.errorResponse!({} as any, { topicPartitions: [{ topic: 'a', partitions: [0, 1] }] } as any, Err.NOT_CONTROLLER);
    expect(res.replicaElectionResults[0].partitionResult.map((p) => p.errorCode)).toEqual([Err.NOT_CONTROLLER, Err.NOT_CONTROLLER]);
  });
});
