import { Err } from '../admin/constants';
import { ZERO_UUID } from '../admin/common';
import { FakeCluster } from '../admin/fake-context';
import { deleteTopicsHandler, planDeleteTopics } from './delete-topics.handler';

function controllerFor(cluster: FakeCluster, calls: any[] = []) {
  return async (apiKey: number, version: number, body: any) => {
    calls.push({ apiKey, version, body });
    const names: string[] = version >= 6 ? body.topics.map((t: any) => t.name) : body.topicNames;
    return {
      responses: names.map((name) => {
        if (!cluster.metadata.topic(name)) return { name, errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
        cluster.deleteTopic(name);
        return { name, errorCode: 0, errorMessage: null };
      }),
    };
  };
}

describe('DeleteTopics', () => {
  it('plans: duplicates, name+id, neither, unknown ids', () => {
    const plan = planDeleteTopics(
      [
        { name: 'a', topicId: ZERO_UUID },
        { name: 'a', topicId: ZERO_UUID },
        { name: 'b', topicId: 'idididididididididid01' },
        { name: null, topicId: ZERO_UUID },
        { name: null, topicId: 'idididididididididid02' },
        { name: null, topicId: 'idididididididididid03' },
      ],
      (id) => (id === 'idididididididididid03' ? 'c' : undefined),
    );
    expect(plan.slots).toHaveLength(5);
    const codes = plan.slots.map((s) => plan.local.get(s.key)?.errorCode ?? 'fwd');
    expect(codes).toEqual([Err.INVALID_REQUEST, Err.INVALID_REQUEST, Err.INVALID_REQUEST, Err.UNKNOWN_TOPIC_ID, 'fwd']);
    expect(plan.forward).toEqual([{ name: 'c', key: 'i:idididididididididid03', topicId: 'idididididididididid03' }]);
  });

  it('deletes by name (v1) and waits until the topic is gone locally', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t1', 2);
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster) });
    const res = await deleteTopicsHandler.handle(ctx, { topicNames: ['t1', 'nope'], timeoutMs: 1000 } as any);
    expect(res!.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['t1', 0],
      ['nope', Err.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(cluster.metadata.topic('t1')).toBeUndefined();
  });

  it('deletes by topic id (v6) and reports name and id', async () => {
    const cluster = new FakeCluster();
    const id = cluster.createTopic('byid', 1);
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 6, forward: controllerFor(cluster, calls) });
    const res = await deleteTopicsHandler.handle(ctx, {
      topics: [
        { name: null, topicId: id },
        { name: null, topicId: 'unknownunknownunknown0' },
      ],
      timeoutMs: 1000,
    } as any);
    expect(calls[0].body.topicNames).toEqual(['byid']);
    expect(res!.responses[0]).toMatchObject({ name: 'byid', topicId: id, errorCode: 0, errorMessage: null });
    expect(res!.responses[1]).toMatchObject({ name: null, topicId: 'unknownunknownunknown0', errorCode: Err.UNKNOWN_TOPIC_ID });
  });

  it('v6 by name returns the topic id of the deleted topic', async () => {
    const cluster = new FakeCluster();
    const id = cluster.createTopic('n6', 1);
    const ctx = cluster.context({ apiVersion: 6, forward: controllerFor(cluster) });
    const res = await deleteTopicsHandler.handle(ctx, { topics: [{ name: 'n6', topicId: ZERO_UUID }], timeoutMs: 1000 } as any);
    expect(res!.responses[0]).toMatchObject({ name: 'n6', topicId: id, errorCode: 0 });
  });

  it('controller trouble becomes REQUEST_TIMED_OUT, never NOT_CONTROLLER', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const ctx = cluster.context({
      apiVersion: 3,
      forward: async (_k, _v, body) => ({ responses: body.topicNames.map((name: string) => ({ name, errorCode: Err.NOT_CONTROLLER })) }),
    });
    const res = await deleteTopicsHandler.handle(ctx, { topicNames: ['t'], timeoutMs: 200 } as any);
    expect(res!.responses[0].errorCode).toBe(Err.REQUEST_TIMED_OUT);
  });

  it('delete.topic.enable=false: TOPIC_DELETION_DISABLED (v3+), INVALID_REQUEST before', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('keep', 1);
    const calls: any[] = [];
    const v3 = await deleteTopicsHandler.handle(cluster.context({ apiVersion: 3, props: { 'delete.topic.enable': false }, forward: controllerFor(cluster, calls) }), { topicNames: ['keep'], timeoutMs: 100 } as any);
    expect(v3!.responses[0]).toMatchObject({ name: 'keep', errorCode: Err.TOPIC_DELETION_DISABLED });
    const v1 = await deleteTopicsHandler.handle(cluster.context({ apiVersion: 1, props: { 'delete.topic.enable': false }, forward: controllerFor(cluster, calls) }), { topicNames: ['keep'], timeoutMs: 100 } as any);
    expect(v1!.responses[0].errorCode).toBe(Err.INVALID_REQUEST);
    expect(calls).toHaveLength(0);
    expect(cluster.metadata.topic('keep')).toBeDefined();
  });

  it('errorResponse covers every requested topic', () => {
    const cluster = new FakeCluster();
    const res = deleteTopicsHandler.errorResponse!(cluster.context({ apiVersion: 2 }), { topicNames: ['a', 'b'], timeoutMs: 1 } as any, 7);
    expect(res.responses.map((r) => r.errorCode)).toEqual([7, 7]);
  });
});
