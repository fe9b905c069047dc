import { ConfigSource, Err } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { createTopicsHandler, planCreateTopics } from './create-topics.handler';

const topic = (name: string, numPartitions = -1, replicationFactor = -1, extra: any = {}) => ({
  name,
  numPartitions,
  replicationFactor,
  assignments: [],
  configs: [],
  ...extra,
});

/** A controller that creates topics in the fake cluster (or rejects existing ones), like the real one. */
function controllerFor(cluster: FakeCluster, calls: any[] = []) {
  return async (apiKey: number, version: number, body: any) => {
    calls.push({ apiKey, version, body });
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t: any) => {
        if (cluster.metadata.topic(t.name)) {
          return { name: t.name, errorCode: Err.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${t.name}' already exists.` };
        }
        if (t.numPartitions <= 0) return { name: t.name, errorCode: Err.INVALID_PARTITIONS, errorMessage: 'bad partitions' };
        if (!body.validateOnly) {
          cluster.createTopic(t.name, t.numPartitions);
          for (const c of t.configs) cluster.setConfig(2, t.name, c.name, c.value);
        }
        return { name: t.name, errorCode: 0, errorMessage: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', numPartitions: -1, replicationFactor: -1 };
      }),
    };
  };
}

describe('CreateTopics', () => {
  it('plans: duplicates and illegal names answered locally, -1 replaced by defaults', () => {
    const plan = planCreateTopics([topic('a'), topic('b b'), topic('c', 3, 1), topic('a'), topic('d', -1, -1, { assignments: [{ partitionIndex: 0, brokerIds: [1] }] })], {
      numPartitions: 4,
      replicationFactor: 1,
    });
    expect(plan.order).toEqual(['a', 'b b', 'c', 'd']);
    expect(plan.local.get('a')).toMatchObject({ errorCode: Err.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
    expect(plan.local.get('b b')?.errorCode).toBe(Err.INVALID_TOPIC_EXCEPTION);
    expect(plan.forward.map((t) => [t.name, t.numPartitions, t.replicationFactor])).toEqual([
      ['c', 3, 1],
      ['d', -1, -1],
    ]);
  });

  it('creates topics via the controller with broker defaults and returns v5+ details', async () => {
    const cluster = new FakeCluster();
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 7, props: { 'num.partitions': 3 }, forward: controllerFor(cluster, calls) });
    const res = await createTopicsHandler.handle(ctx, {
      topics: [topic('orders', -1, -1, { configs: [{ name: 'cleanup.policy', value: 'compact' }] })],
      timeoutMs: 5000,
      validateOnly: false,
    } as any);
    expect(calls[0].body.topics[0]).toMatchObject({ name: 'orders', numPartitions: 3, replicationFactor: 1 });
    const r = res!.topics[0];
    expect(r).toMatchObject({ name: 'orders', errorCode: 0, errorMessage: null, numPartitions: 3, replicationFactor: 1 });
    expect(r.topicId).toBe(cluster.metadata.topic('orders')!.topicId);
    const cp = r.configs!.find((c) => c.name === 'cleanup.policy')!;
    expect(cp).toMatchObject({ value: 'compact', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, readOnly: false, isSensitive: false });
    const seg = r.configs!.find((c) => c.name === 'segment.bytes')!;
    expect(seg.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('passes controller errors through with their messages (TOPIC_ALREADY_EXISTS)', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('orders', 1);
    const ctx = cluster.context({ apiVersion: 4, forward: controllerFor(cluster) });
    const res = await createTopicsHandler.handle(ctx, { topics: [topic('orders', 1, 1)], timeoutMs: 1000, validateOnly: false } as any);
    expect(res!.topics[0]).toMatchObject({ name: 'orders', errorCode: Err.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'orders' already exists." });
  });

  it('validate_only creates nothing but still describes the would-be topic (v5)', async () => {
    const cluster = new FakeCluster();
    const ctx = cluster.context({ apiVersion: 5, forward: controllerFor(cluster) });
    const res = await createTopicsHandler.handle(ctx, {
      topics: [topic('dry', 2, 1, { configs: [{ name: 'retention.ms', value: '1000' }] })],
      timeoutMs: 1000,
      validateOnly: true,
    } as any);
    expect(cluster.metadata.topic('dry')).toBeUndefined();
    expect(res!.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect(res!.topics[0].configs!.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  });

  it('never leaks NOT_CONTROLLER: retries, then REQUEST_TIMED_OUT', async () => {
    const cluster = new FakeCluster();
    let n = 0;
    const ctx = cluster.context({
      apiVersion: 3,
      forward: async (_k, _v, body) => {
        n++;
        return { topics: body.topics.map((t: any) => ({ name: t.name, errorCode: Err.NOT_CONTROLLER, errorMessage: 'not controller' })) };
      },
    });
    const notController = jest.fn();
    (ctx.services.controller as any).notController = notController;
    const res = await createTopicsHandler.handle(ctx, { topics: [topic('x', 1, 1)], timeoutMs: 100, validateOnly: false } as any);
    expect(n).toBeGreaterThan(1);
    expect(notController).toHaveBeenCalled();
    expect(res!.topics[0].errorCode).toBe(Err.REQUEST_TIMED_OUT);
  }, 15000);

  it('an unreachable controller gives REQUEST_TIMED_OUT per topic, not a crash', async () => {
    const cluster = new FakeCluster();
    const ctx = cluster.context({ apiVersion: 1 });
    const res = await createTopicsHandler.handle(ctx, { topics: [topic('x', 1, 1), topic('y', 1, 1)], timeoutMs: 100, validateOnly: false } as any);
    expect(res!.topics.map((t) => t.errorCode)).toEqual([Err.REQUEST_TIMED_OUT, Err.REQUEST_TIMED_OUT]);
  }, 15000);

  it('empty request answers empty without calling the controller', async () => {
    const cluster = new FakeCluster();
    const ctx = cluster.context({ apiVersion: 0 });
    const res = await createTopicsHandler.handle(ctx, { topics: [], timeoutMs: 0, validateOnly: false } as any);
    expect(res!.topics).toEqual([]);
  });

  it('errorResponse marks every topic', () => {
    const cluster = new FakeCluster();
    const res = createTopicsHandler.errorResponse!(cluster.context({ apiVersion: 2 }), { topics: [topic('a'), topic('a'), topic('b')] } as any, 42);
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a', 42],
      ['b', 42],
    ]);
  });
});
