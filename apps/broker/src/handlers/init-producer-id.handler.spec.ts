import { ApiKey, ErrorCode } from '@runnel/protocol';
import { fakeBroker } from '../testing/fakes';
import { initProducerIdHandler } from './init-producer-id.handler';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.handler';

describe('InitProducerId and OffsetForLeaderEpoch handlers', () => {
  it('hands out fresh producer ids with epoch 0 and refuses transactional ids', async () => {
    const b = await fakeBroker([initProducerIdHandler]);
    const req = { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 };
    const a = await initProducerIdHandler.handle(b.ctx(ApiKey.InitProducerId, 1), req);
    const c = await initProducerIdHandler.handle(b.ctx(ApiKey.InitProducerId, 4), { ...req, producerId: a!.producerId, producerEpoch: 0 });
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(c!.producerId).not.toBe(a!.producerId);
    const t = await initProducerIdHandler.handle(b.ctx(ApiKey.InitProducerId, 1), { ...req, transactionalId: 'tx' });
    expect(t!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('answers the end offset of an epoch and checks leadership', async () => {
    const b = await fakeBroker([offsetForLeaderEpochHandler]);
    await b.addTopic('t', 1);
    const res = await offsetForLeaderEpochHandler.handle(b.ctx(ApiKey.OffsetForLeaderEpoch, 4), {
      replicaId: -1,
      topics: [
        { topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] },
        { topic: 'nope', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    expect(res!.topics[0].partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 0n });
    expect(res!.topics[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
