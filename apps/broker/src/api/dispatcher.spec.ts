import { ApiKey, ErrorCode, Reader, decodeRecordBatch, decodeResponse, encodeRecordBatch, encodeRequest } from '@runnel/protocol';
import { HANDLERS } from '../handlers';
import { apiVersionsHandler } from '../handlers/api-versions.handler';
import { fakeBroker, FakeBroker } from '../testing/fakes';
import { Dispatcher } from './dispatcher';
import { ApiRegistry } from './registry';

const conn = { id: 1, listener: 'PLAINTEXT', remote: '127.0.0.1:1', signal: new AbortController().signal } as any;

function frame(apiKey: number, apiVersion: number, body: any, correlationId = 7): Buffer {
  return Buffer.concat(encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'test' }, body)).subarray(4);
}

async function call(d: Dispatcher, f: Buffer): Promise<Buffer | null> {
  const chunks = await d.handleFrame(f, conn);
  return chunks ? Buffer.concat(chunks) : null;
}

describe('Dispatcher and ApiVersions', () => {
  let b: FakeBroker;
  let d: Dispatcher;
  beforeEach(async () => {
    b = await fakeBroker(HANDLERS);
    d = new Dispatcher(b.registry, b.services);
  });

  it('derives ApiVersions from the registered handlers, min version 0, sorted by key', async () => {
    const out = await call(d, frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' }));
    const res = decodeResponse(ApiKey.ApiVersions, 3, out!.subarray(4)) as any;
    expect(res.correlationId).toBe(7);
    expect(res.body.errorCode).toBe(0);
    const keys = res.body.apiKeys.map((k: any) => k.apiKey);
    expect(keys).toEqual([...keys].sort((a: number, c: number) => a - c));
    expect(keys).toEqual(HANDLERS.map((h) => h.apiKey).sort((a, c) => a - c));
    for (const k of res.body.apiKeys) expect(k.minVersion).toBe(0);
    expect(res.body.apiKeys.find((k: any) => k.apiKey === ApiKey.Produce).maxVersion).toBe(9);
    expect(res.body.apiKeys.find((k: any) => k.apiKey === ApiKey.Fetch).maxVersion).toBe(12);
    expect(res.body.apiKeys.find((k: any) => k.apiKey === ApiKey.Metadata).maxVersion).toBe(12);
  });

  it('answers ApiVersions v0 (kafka-python) and v2 (kafkajs)', async () => {
    for (const v of [0, 1, 2]) {
      const out = await call(d, frame(ApiKey.ApiVersions, v, {}));
      const res = decodeResponse(ApiKey.ApiVersions, v, out!.subarray(4)) as any;
      expect(res.body.errorCode).toBe(0);
      expect(res.body.apiKeys.length).toBe(HANDLERS.length);
    }
  });

  it('answers an ApiVersions version above the max in the v0 layout with UNSUPPORTED_VERSION and the table', async () => {
    const f = Buffer.alloc(4 + 4 + 2 + 4 + 1);
    let o = 0;
    o = f.writeInt16BE(ApiKey.ApiVersions, o);
    o = f.writeInt16BE(9, o);
    o = f.writeInt32BE(99, o);
    o = f.writeInt16BE(4, o);
    f.write('test', o);
    const out = await call(d, f.subarray(0, o + 4));
    const r = new Reader(out!);
    expect(r.int32()).toBe(out!.length - 4);
    expect(r.int32()).toBe(99); // header v0: correlation id only
    const res = decodeResponse(ApiKey.ApiVersions, 0, out!.subarray(4)) as any;
    expect(res.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(res.body.apiKeys.length).toBe(HANDLERS.length);
  });

  it('answers UNSUPPORTED_VERSION for an unknown API key or an unserved version and keeps going', async () => {
    const f = Buffer.alloc(12);
    f.writeInt16BE(999, 0);
    f.writeInt16BE(0, 2);
    f.writeInt32BE(5, 4);
    f.writeInt16BE(-1, 8);
    const out = await call(d, f.subarray(0, 10));
    expect(out!.readInt32BE(4)).toBe(5);
    expect(out!.readInt16BE(8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const produceV11 = Buffer.alloc(11); // header v2: client id + empty tag buffer
    produceV11.writeInt16BE(ApiKey.Produce, 0);
    produceV11.writeInt16BE(11, 2);
    produceV11.writeInt32BE(6, 4);
    produceV11.writeInt16BE(-1, 8);
    const out2 = await call(d, produceV11);
    expect(out2!.readInt16BE(8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });

  it('throws (closing the connection) on a body that does not decode', async () => {
    const good = frame(ApiKey.Metadata, 1, { topics: [{ name: 'x' }] });
    await expect(Promise.resolve().then(() => d.handleFrame(good.subarray(0, good.length - 2), conn))).rejects.toThrow(/cannot decode Metadata v1/);
    await expect(Promise.resolve().then(() => d.handleFrame(Buffer.from([0, 1]), conn))).rejects.toThrow();
  });

  it('round-trips the flexible versions: Produce v9, Fetch v12, Metadata v12, ListOffsets v7', async () => {
    await b.addTopic('flex', 1);
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('hello'), timestamp: 5 }] });
    const p = await call(d, frame(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'flex', partitionData: [{ index: 0, records }] }] }));
    const pr = decodeResponse(ApiKey.Produce, 9, p!.subarray(4)) as any;
    expect(pr.body.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const f = await call(
      d,
      frame(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'flex', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      }),
    );
    const fr = decodeResponse(ApiKey.Fetch, 12, f!.subarray(4)) as any;
    const part = fr.body.responses[0].partitions[0];
    expect(part).toMatchObject({ errorCode: 0, highWatermark: 1n, abortedTransactions: [] });
    expect(decodeRecordBatch(part.records).records[0].value!.toString()).toBe('hello');
    const m = await call(d, frame(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    const mr = decodeResponse(ApiKey.Metadata, 12, m!.subarray(4)) as any;
    expect(mr.body.topics[0]).toMatchObject({ name: 'flex', errorCode: 0 });
    const l = await call(d, frame(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'flex', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3n }] }] }));
    const lr = decodeResponse(ApiKey.ListOffsets, 7, l!.subarray(4)) as any;
    expect(lr.body.topics[0].partitions[0]).toMatchObject({ errorCode: 0 });
  });

  it('rejects duplicate handler registrations', () => {
    expect(() => new ApiRegistry([apiVersionsHandler, apiVersionsHandler])).toThrow(/two handlers/);
  });
});
