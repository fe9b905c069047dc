import { Err } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { createPartitionsHandler, planCreatePartitions } from './create-partitions.handler';

const t = (name: string, count: number) => ({ name, count, assignments: null });

function controllerFor(cluster: FakeCluster, calls: any[] = []) {
  return async (apiKey: number, version: number, body: any) => {
    calls.push({ apiKey, version, body });
    return {
      results: body.topics.map((x: any) => {
        if (!cluster.metadata.topic(x.name)) return { name: x.name, errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'unknown' };
        if (!body.validateOnly) cluster.addPartitions(x.name, x.count);
        return { name: x.name, errorCode: 0, errorMessage: null };
      }),
    };
  };
}

describe('CreatePartitions', () => {
  it('plans: duplicates, non-increasing and non-positive counts answered locally', () => {
    const cluster = new FakeCluster();
    cluster.createTopic('three', 3);
    const plan = planCreatePartitions([t('three', 3), t('three2', 0), t('dup', 2), t('dup', 3)] as any, cluster.metadata);
    expect(plan.order).toEqual(['three', 'three2', 'dup']);
    expect(plan.local.get('three')).toMatchObject({ errorCode: Err.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partition(s).' });
    expect(plan.local.get('three2')?.errorCode).toBe(Err.INVALID_PARTITIONS);
    expect(plan.local.get('dup')).toMatchObject({ errorCode: Err.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
    const p2 = planCreatePartitions([t('three', 2)] as any, cluster.metadata);
    expect(p2.local.get('three')?.errorMessage).toBe('The topic three currently has 3 partition(s); 2 would not be an increase.');
  });

  it('grows a topic through the controller and waits for the new partitions', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('grow', 1);
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster, calls) });
    const res = await createPartitionsHandler.handle(ctx, { topics: [t('grow', 4), t('missing', 2)], timeoutMs: 1000, validateOnly: false } as any);
    expect(res!.results).toEqual([
      { name: 'grow', errorCode: 0, errorMessage: null },
      { name: 'missing', errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'unknown' },
    ]);
    expect(cluster.metadata.topic('grow')!.partitions).toHaveLength(4);
    expect(calls[0].body.validateOnly).toBe(false);
  });

  it('validate_only forwards the flag and changes nothing', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('g', 1);
    const ctx = cluster.context({ apiVersion: 0, forward: controllerFor(cluster) });
    const res = await createPartitionsHandler.handle(ctx, { topics: [t('g', 2)], timeoutMs: 0, validateOnly: true } as any);
    expect(res!.results[0].errorCode).toBe(0);
    expect(cluster.metadata.topic('g')!.partitions).toHaveLength(1);
  });

  it('an unreachable controller yields REQUEST_TIMED_OUT', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('g', 1);
    const ctx = cluster.context({ apiVersion: 3 });
    const res = await createPartitionsHandler.handle(ctx, { topics: [t('g', 2)], timeoutMs: 100, validateOnly: false } as any);
    expect(res!.results[0].errorCode).toBe(Err.REQUEST_TIMED_OUT);
  });
});
