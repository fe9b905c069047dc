import { ApiKey, ErrorCode, encodeRecordBatch } from '@runnel/protocol';
import { fakeBroker, FakeBroker } from '../testing/fakes';
import { listOffsetsHandler } from './list-offsets.handler';
import { produceHandler } from './produce.handler';

const req = (timestamp: number, partitionIndex = 0) => ({
  replicaId: -1,
  isolationLevel: 0,
  timeoutMs: 0,
  topics: [{ name: 't', partitions: [{ partitionIndex, currentLeaderEpoch: -1, timestamp: BigInt(timestamp), maxNumOffsets: 1 }] }],
});

describe('ListOffsets handler', () => {
  let b: FakeBroker;
  beforeEach(async () => {
    b = await fakeBroker([produceHandler, listOffsetsHandler]);
    await b.addTopic('t', 1);
    for (const ts of [1000, 2000, 3000]) {
      await produceHandler.handle(b.ctx(ApiKey.Produce, 7), {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1000,
        topicData: [{ name: 't', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x'), timestamp: ts }] }) }] }],
      });
    }
  });

  const one = async (ts: number, v = 5) => (await listOffsetsHandler.handle(b.ctx(ApiKey.ListOffsets, v), req(ts) as any))!.topics[0].partitions[0];

  it('answers earliest, latest, by timestamp and none-found', async () => {
    expect((await one(-2)).offset).toBe(0n);
    expect((await one(-1)).offset).toBe(3n);
    expect(await one(1500)).toMatchObject({ offset: 1n, timestamp: 2000n });
    expect(await one(9999)).toMatchObject({ offset: -1n, timestamp: -1n });
  });

  it('uses old_style_offsets in v0', async () => {
    expect((await one(-1, 0)).oldStyleOffsets).toEqual([3n]);
  });

  it('refuses unknown partitions', async () => {
    const r = (await listOffsetsHandler.handle(b.ctx(ApiKey.ListOffsets, 2), req(-1, 4) as any))!.topics[0].partitions[0];
    expect(r.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
