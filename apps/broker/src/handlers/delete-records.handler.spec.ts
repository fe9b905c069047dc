import { OffsetOutOfRangeError } from '@runnel/storage';
import { Err } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { deleteRecordsHandler } from './delete-records.handler';

/** A leader partition over a fake log: logStart..leo, hwm = leo. */
function fakePartition(topic: string, partition: number, leo: number) {
  const log = {
    logStartOffset: 0,
    logEndOffset: leo,
    async deleteRecordsBefore(offset: number) {
      if (offset > leo || offset < 0) throw new OffsetOutOfRangeError('out of range', this.logStartOffset, leo);
      if (offset > this.logStartOffset) this.logStartOffset = offset;
      return this.logStartOffset;
    },
  };
  let pokes = 0;
  return {
    key: `${topic}-${partition}`,
    log,
    get logStartOffset() {
      return log.logStartOffset;
    },
    highWatermark: leo,
    poke: () => void pokes++,
    pokes: () => pokes,
  };
}

describe('DeleteRecords', () => {
  const cluster = new FakeCluster();
  cluster.createTopic('t', 2);
  cluster.createTopic('other', 1, [2]);

  function setup() {
    const p0 = fakePartition('t', 0, 100);
    const truncated: Array<[string, number]> = [];
    const ctx = cluster.context({
      apiVersion: 1,
      replicas: {
        leaderFor: (topic: string, p: number) =>
          topic === 't' && p === 0
            ? { partition: p0, errorCode: 0 }
            : topic === 'other'
              ? { partition: null, errorCode: Err.NOT_LEADER_OR_FOLLOWER }
              : { partition: null, errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION },
      },
      producers: { forPartition: (key: string) => ({ truncateHead: (o: number) => truncated.push([key, o]) }) },
    });
    return { ctx, p0, truncated };
  }

  it('advances the log start offset and returns the low watermark', async () => {
    const { ctx, p0, truncated } = setup();
    const out = await deleteRecordsHandler.handle(ctx, { topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 40n }] }], timeoutMs: 1000 } as any);
    expect(out!.topics[0].partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 40n, errorCode: 0 });
    expect(p0.logStartOffset).toBe(40);
    expect(truncated).toEqual([['t-0', 40]]);
    expect(p0.pokes()).toBe(1);
  });

  it('-1 means the high watermark; an offset below the start is a no-op success', async () => {
    const { ctx } = setup();
    const out = await deleteRecordsHandler.handle(ctx, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: -1n }, { partitionIndex: 0, offset: 5n }] }],
      timeoutMs: 1000,
    } as any);
    expect(out!.topics[0].partitions.map((p) => [p.lowWatermark, p.errorCode])).toEqual([
      [100n, 0],
      [100n, 0],
    ]);
  });

  it('OFFSET_OUT_OF_RANGE beyond the high watermark or negative; leader/unknown errors per partition', async () => {
    const { ctx } = setup();
    const out = await deleteRecordsHandler.handle(ctx, {
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, offset: 101n }, { partitionIndex: 0, offset: -2n }, { partitionIndex: 7, offset: 1n }] },
        { name: 'other', partitions: [{ partitionIndex: 0, offset: 1n }] },
        { name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: 1n }] },
      ],
      timeoutMs: 1000,
    } as any);
    expect(out!.topics.map((t) => t.partitions.map((p) => [p.errorCode, p.lowWatermark]))).toEqual([
      [
        [Err.OFFSET_OUT_OF_RANGE, -1n],
        [Err.OFFSET_OUT_OF_RANGE, -1n],
        [Err.UNKNOWN_TOPIC_OR_PARTITION, -1n],
      ],
      [[Err.NOT_LEADER_OR_FOLLOWER, -1n]],
      [[Err.INVALID_TOPIC_EXCEPTION, -1n]],
    ]);
  });
});
