import { ApiKey, ErrorCode } from '@runnel/protocol';
import { fakeBroker, FakeBroker } from '../testing/fakes';
import { metadataHandler } from './metadata.handler';

const req = (topics: string[] | null, allowAutoTopicCreation = true) => ({
  topics: topics === null ? null : topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })),
  allowAutoTopicCreation,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

describe('Metadata handler', () => {
  let b: FakeBroker;
  beforeEach(async () => {
    b = await fakeBroker([metadataHandler], { 'auto.create.topics.enable': 'false' });
    await b.addTopic('a', 2);
    await b.addTopic('b', 1);
  });

  it('lists brokers on the request listener, this broker as controller, and all topics for null / v0 []', async () => {
    const res = await metadataHandler.handle(b.ctx(ApiKey.Metadata, 6), req(null) as any);
    expect(res!.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }]);
    expect(res!.controllerId).toBe(1);
    expect(res!.clusterId).toBe('test-cluster');
    expect(res!.topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect(res!.topics[0].partitions.map((p) => [p.partitionIndex, p.leaderId, p.errorCode])).toEqual([
      [0, 1, 0],
      [1, 1, 0],
    ]);
    const v0 = await metadataHandler.handle(b.ctx(ApiKey.Metadata, 0), req([]) as any);
    expect(v0!.topics).toHaveLength(2);
    const v1none = await metadataHandler.handle(b.ctx(ApiKey.Metadata, 1), req([]) as any);
    expect(v1none!.topics).toHaveLength(0);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION when auto-create is off and INVALID_TOPIC_EXCEPTION for bad names', async () => {
    const res = await metadataHandler.handle(b.ctx(ApiKey.Metadata, 4), req(['missing', 'bad name!', 'a']) as any);
    expect(res!.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['a', 0],
    ]);
  });

  it('marks partitions whose leader is gone with LEADER_NOT_AVAILABLE', async () => {
    await b.addTopic('orphan', 1, { leader: 7 });
    const res = await metadataHandler.handle(b.ctx(ApiKey.Metadata, 6), req(['orphan']) as any);
    const p = res!.topics[0].partitions[0];
    expect(p.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
    expect(p.leaderId).toBe(-1);
    expect(p.offlineReplicas).toEqual([7]);
  });

  it('looks topics up by id (v10+)', async () => {
    const id = b.image.topics.get('b')!.topicId;
    const res = await metadataHandler.handle(b.ctx(ApiKey.Metadata, 12), { ...req(null), topics: [{ name: null, topicId: id }] } as any);
    expect(res!.topics[0]).toMatchObject({ name: 'b', topicId: id, errorCode: 0 });
  });

  it('tries to auto-create through the controller when enabled and answers LEADER_NOT_AVAILABLE if that fails', async () => {
    const on = await fakeBroker([metadataHandler], { 'auto.create.topics.enable': 'true' });
    // No controller voters: forwarding fails fast, the client is told to retry.
    const res = await metadataHandler.handle(on.ctx(ApiKey.Metadata, 4), req(['new-topic']) as any);
    expect(res!.topics[0].errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
    const noAuto = await metadataHandler.handle(on.ctx(ApiKey.Metadata, 4), req(['new-topic'], false) as any);
    expect(noAuto!.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
