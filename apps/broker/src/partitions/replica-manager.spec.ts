import { fakeBroker } from '../testing/fakes';

describe('ReplicaManager', () => {
  it('creates logs for partitions assigned here, ignores others, and deletes them with the topic', async () => {
    const b = await fakeBroker();
    await b.addTopic('mine', 2);
    await b.addTopic('theirs', 1, { leader: 2 });
    await b.services.replicas.idle();
    expect([...b.logs.map.keys()].sort()).toEqual(['mine-0', 'mine-1']);
    const id = b.image.topics.get('mine')!.topicId;
    b.image.apply({ name: 'RemoveTopicRecord', data: { topicId: id } } as any);
    await b.services.replicas.idle();
    expect([...b.logs.map.keys()]).toEqual([]);
    expect(b.services.replicas.get('mine', 0)).toBeUndefined();
  });

  it('never reuses the log of a deleted topic for a new topic with the same name', async () => {
    const b = await fakeBroker();
    await b.addTopic('t', 1);
    await b.services.replicas.idle();
    const oldLog = b.logs.getLog('t', 0)!;
    oldLog.logEndOffset = 42;
    // delete and re-create back to back, before the broker had a chance to process anything
    b.image.apply({ name: 'RemoveTopicRecord', data: { topicId: b.image.topics.get('t')!.topicId } } as any);
    await b.addTopic('t', 1);
    await b.services.replicas.idle();
    const p = b.services.replicas.get('t', 0)!;
    expect(p.topicId).toBe(b.image.topics.get('t')!.topicId);
    expect(p.log).not.toBe(oldLog);
    expect(p.logEndOffset).toBe(0);
  });

  it('replaces a log on disk that belongs to an older topic of the same name', async () => {
    const b = await fakeBroker();
    const stale = await b.logs.createLog('t', 0);
    stale.setTopicId('old-topic-id-aaaaaaaaaa');
    stale.logEndOffset = 7;
    await b.addTopic('t', 1);
    await b.services.replicas.idle();
    const p = b.services.replicas.get('t', 0)!;
    expect(p.logEndOffset).toBe(0);
    expect((p.log as any).topicId).toBe(b.image.topics.get('t')!.topicId);
  });

  it('deletes stray logs (not assigned here) only when asked, after startup', async () => {
    const b = await fakeBroker();
    await b.logs.createLog('gone', 0);
    await b.addTopic('kept', 1);
    await b.services.replicas.idle();
    expect(b.logs.getLog('gone', 0)).toBeDefined();
    await b.services.replicas.deleteStrayLogs();
    expect(b.logs.getLog('gone', 0)).toBeUndefined();
    expect(b.logs.getLog('kept', 0)).toBeDefined();
  });
});
