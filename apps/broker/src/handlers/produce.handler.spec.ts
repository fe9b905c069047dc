import { ApiKey, ErrorCode, encodeRecordBatch } from '@runnel/protocol';
import { fakeBroker, FakeBroker } from '../testing/fakes';
import { produceHandler } from './produce.handler';
import { ProducerStateManager } from '../producers/producer-state';

function batch(values: string[], opts: { producerId?: number; producerEpoch?: number; baseSequence?: number; timestamp?: number } = {}): Buffer {
  return encodeRecordBatch({
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerEpoch ?? 0,
    baseSequence: opts.baseSequence ?? 0,
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: opts.timestamp ?? 1000 })),
  });
}

function request(topic: string, partition: number, records: Buffer | null, acks = -1) {
  return { transactionalId: null, acks, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

async function produce(b: FakeBroker, req: any, version = 7) {
  const res = await produceHandler.handle(b.ctx(ApiKey.Produce, version), req);
  return res === null ? null : res.responses[0].partitionResponses[0];
}

describe('Produce handler', () => {
  let b: FakeBroker;
  beforeEach(async () => {
    b = await fakeBroker([produceHandler]);
    await b.addTopic('t', 2);
  });

  it('appends batches and answers their base offsets', async () => {
    const r1 = await produce(b, request('t', 0, batch(['a', 'b', 'c'])));
    expect(r1).toMatchObject({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n, logAppendTimeMs: -1n });
    const r2 = await produce(b, request('t', 0, batch(['d'])));
    expect(r2!.baseOffset).toBe(3n);
    expect(b.logs.getLog('t', 0)!.logEndOffset).toBe(4);
  });

  it('refuses unknown topics/partitions and partitions led elsewhere', async () => {
    await b.addTopic('elsewhere', 1, { leader: 2 });
    expect((await produce(b, request('nope', 0, batch(['x']))))!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce(b, request('t', 5, batch(['x']))))!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce(b, request('elsewhere', 0, batch(['x']))))!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('applies Kafka record checks: one batch per partition (v3+), keys on compacted topics, timestamp bounds', async () => {
    const two = Buffer.concat([batch(['a']), batch(['b'])]);
    expect((await produce(b, request('t', 0, two)))!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce(b, request('t', 0, two), 2))!.errorCode).toBe(0);
    await b.addTopic('compacted', 1, { configs: { 'cleanup.policy': 'compact' } });
    expect((await produce(b, request('compacted', 0, batch(['no-key']))))!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    const future = batch(['x'], { timestamp: Date.now() + 2 * 3600_000 });
    expect((await produce(b, request('t', 0, future)))!.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
  });

  it('refuses client writes to internal topics', async () => {
    await b.addTopic('__consumer_offsets', 1);
    expect((await produce(b, request('__consumer_offsets', 0, batch(['x']))))!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('rejects a batch whose CRC does not match (CORRUPT_MESSAGE) and truncated data', async () => {
    const bad = batch(['hello']);
    bad[bad.length - 1] ^= 0xff;
    expect((await produce(b, request('t', 0, bad)))!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const good = batch(['hello']);
    expect((await produce(b, request('t', 0, good.subarray(0, good.length - 3))))!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await produce(b, request('t', 0, null)))!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(b.logs.getLog('t', 0)!.logEndOffset).toBe(0);
  });

  it('answers UNSUPPORTED_FOR_MESSAGE_FORMAT for magic 0/1 message sets', async () => {
    const legacy = batch(['x']);
    legacy[16] = 1; // magic
    expect((await produce(b, request('t', 0, legacy)))!.errorCode).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  });

  it('enforces max.message.bytes per batch (topic override) with MESSAGE_TOO_LARGE', async () => {
    await b.addTopic('small', 1, { configs: { 'max.message.bytes': '200' } });
    const big = batch(['x'.repeat(300)]);
    const r = await produce(b, request('small', 0, big));
    expect(r!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produce(b, request('small', 0, batch(['ok']))))!.errorCode).toBe(0);
  });

  it('sends no response for acks=0 and refuses other acks values', async () => {
    expect(await produce(b, request('t', 0, batch(['a']), 0))).toBeNull();
    await expect(produce(b, request('nope', 0, batch(['a']), 0))).rejects.toThrow(/acks=0 produce failed \(nope-0: UNKNOWN_TOPIC_OR_PARTITION\)/);
    expect(b.logs.getLog('t', 0)!.logEndOffset).toBe(1);
    expect((await produce(b, request('t', 0, batch(['a']), 2)))!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it('checks min.insync.replicas for acks=all only', async () => {
    await b.addTopic('strict', 1, { configs: { 'min.insync.replicas': '2' } });
    expect((await produce(b, request('strict', 0, batch(['a']), -1)))!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect((await produce(b, request('strict', 0, batch(['a']), 1)))!.errorCode).toBe(0);
  });

  it('answers a retried idempotent batch with its original offset and refuses gaps', async () => {
    const p = { producerId: 1000, producerEpoch: 0 };
    expect((await produce(b, request('t', 1, batch(['a', 'b'], { ...p, baseSequence: 0 }))))!.baseOffset).toBe(0n);
    expect((await produce(b, request('t', 1, batch(['c'], { ...p, baseSequence: 2 }))))!.baseOffset).toBe(2n);
    const dup = await produce(b, request('t', 1, batch(['a', 'b'], { ...p, baseSequence: 0 })));
    expect(dup).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(b.logs.getLog('t', 1)!.logEndOffset).toBe(3);
    const gap = await produce(b, request('t', 1, batch(['z'], { ...p, baseSequence: 5 })));
    expect(gap!.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const bumped = await produce(b, request('t', 1, batch(['z'], { producerId: 1000, producerEpoch: 1, baseSequence: 0 })));
    expect(bumped).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const fenced = await produce(b, request('t', 1, batch(['z'], { producerId: 1000, producerEpoch: 0, baseSequence: 3 })));
    expect(fenced!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('rebuilds producer state from the log after a restart (duplicates still recognised)', async () => {
    const p = { producerId: 77, producerEpoch: 2 };
    await produce(b, request('t', 0, batch(['x'])));
    await produce(b, request('t', 0, batch(['a', 'b'], { ...p, baseSequence: 0 })));
    await produce(b, request('t', 0, batch(['c'], { ...p, baseSequence: 2 })));
    (b.services as any).producers = new ProducerStateManager(); // state lost, log kept
    const dup = await produce(b, request('t', 0, batch(['c'], { ...p, baseSequence: 2 })));
    expect(dup).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const gap = await produce(b, request('t', 0, batch(['z'], { ...p, baseSequence: 9 })));
    expect(gap!.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await produce(b, request('t', 0, batch(['d'], { ...p, baseSequence: 3 }))))!.baseOffset).toBe(4n);
  });

  it('keeps request order for pipelined produce requests to one partition', async () => {
    const pending = [0, 1, 2, 3, 4].map((i) =>
      produceHandler.handle(b.ctx(ApiKey.Produce, 7), request('t', 0, batch([`m${i}`], { producerId: 5, producerEpoch: 0, baseSequence: i }))),
    );
    const results = await Promise.all(pending);
    expect(results.map((r) => r!.responses[0].partitionResponses[0].baseOffset)).toEqual([0n, 1n, 2n, 3n, 4n]);
  });

  it('reports LogAppendTime when the log stamped it', async () => {
    b.logs.getLog('t', 0)!.appendTime = 123456;
    const r = await produce(b, request('t', 0, batch(['a'])));
    expect(r!.logAppendTimeMs).toBe(123456n);
  });
});
