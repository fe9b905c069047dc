import { ApiKey, ErrorCode, encodeRecordBatch } from '@runnel/protocol';
import { fakeBroker, FakeBroker } from '../testing/fakes';
import { fetchHandler } from './fetch.handler';
import { produceHandler } from './produce.handler';

function batch(values: string[]): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 1000 })) });
}

function fetchReq(topic: string, partition: number, offset: number, opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number; currentLeaderEpoch?: number } = {}) {
  return {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: opts.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: [
          { partition, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20 },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

async function produce(b: FakeBroker, topic: string, partition: number, values: string[]) {
  await produceHandler.handle(b.ctx(ApiKey.Produce, 7), {
    transactionalId: null,
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch(values) }] }],
  });
}

const part = (res: any) => res.responses[0].partitions[0];
const size = (records: Buffer | Buffer[]) => (Array.isArray(records) ? records.reduce((a, r) => a + r.length, 0) : records.length);

describe('Fetch handler', () => {
  let b: FakeBroker;
  beforeEach(async () => {
    b = await fakeBroker([produceHandler, fetchHandler]);
    await b.addTopic('t', 1);
  });

  it('serves stored batches as raw bytes with watermarks', async () => {
    await produce(b, 't', 0, ['a', 'b']);
    await produce(b, 't', 0, ['c']);
    const res = await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0) as any);
    const p = part(res);
    expect(p).toMatchObject({ errorCode: 0, highWatermark: 3n, lastStableOffset: 3n, logStartOffset: 0n, preferredReadReplica: -1 });
    expect(size(p.records)).toBe(b.logs.getLog('t', 0)!.sizeInBytes);
  });

  it('answers at once when min_bytes are available, and OFFSET_OUT_OF_RANGE past the end', async () => {
    await produce(b, 't', 0, ['a']);
    const t0 = Date.now();
    await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0, { maxWaitMs: 2000 }) as any);
    expect(Date.now() - t0).toBeLessThan(500);
    const res = await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 5) as any);
    expect(part(res).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('long-polls until an append arrives, then returns the new data', async () => {
    const t0 = Date.now();
    const pending = fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0, { maxWaitMs: 5000 }) as any);
    await new Promise((r) => setTimeout(r, 100));
    await produce(b, 't', 0, ['wake']);
    const res = await pending;
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(2000);
    expect(part(res).highWatermark).toBe(1n);
    expect(size(part(res).records)).toBeGreaterThan(0);
  });

  it('returns empty after max_wait_ms when nothing arrives', async () => {
    const t0 = Date.now();
    const res = await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0, { maxWaitMs: 150 }) as any);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(size(part(res).records)).toBe(0);
    expect(part(res).errorCode).toBe(0);
  });

  it('waits for min_bytes across several appends', async () => {
    const pending = fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0, { maxWaitMs: 5000, minBytes: 200 }) as any);
    let done = false;
    void pending.then(() => (done = true));
    await produce(b, 't', 0, ['x']); // ~70 bytes
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    await produce(b, 't', 0, ['y'.repeat(200)]);
    const res = await pending;
    expect(size(part(res).records)).toBeGreaterThanOrEqual(200);
  });

  it('returns at least one batch even above partition_max_bytes, and respects it afterwards', async () => {
    await produce(b, 't', 0, ['a'.repeat(500)]);
    await produce(b, 't', 0, ['b'.repeat(500)]);
    const res = await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0, { partitionMaxBytes: 10 }) as any);
    expect(size(part(res).records)).toBe(b.logs.getLog('t', 0)!.batches[0].length);
  });

  it('checks current_leader_epoch and leadership', async () => {
    const fenced = await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('t', 0, 0, { currentLeaderEpoch: 5 }) as any);
    expect(part(fenced).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const unknown = await fetchHandler.handle(b.ctx(ApiKey.Fetch, 11), fetchReq('nope', 0, 0) as any);
    expect(part(unknown).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('wakes a parked fetch when the connection goes away', async () => {
    const ac = new AbortController();
    const ctx = { ...b.ctx(ApiKey.Fetch, 11), signal: ac.signal };
    const t0 = Date.now();
    const pending = fetchHandler.handle(ctx, fetchReq('t', 0, 0, { maxWaitMs: 5000 }) as any);
    setTimeout(() => ac.abort(), 50);
    await pending;
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
