// Every admin handler, every version, through the real codec: the request is encoded and decoded as a client
// would send it, and the handler's answer must encode and decode back without loss of the key fields.
import { decodeRequestFrame, decodeResponse, encodeRequest, encodeResponse } from '@runnel/protocol';
import { HANDLERS } from '../handlers';
import { Err } from './constants';
import { FakeCluster } from './fake-context';

function viaWire(apiKey: number, version: number, body: any): any {
  const frame = Buffer.concat(encodeRequest({ apiKey, apiVersion: version, correlationId: 7, clientId: 'wire' } as any, body));
  return decodeRequestFrame(frame.subarray(4)).body;
}

function answerViaWire(apiKey: number, version: number, body: any): any {
  const frame = Buffer.concat(encodeResponse(apiKey, version, 7, body));
  return decodeResponse(apiKey, version, frame.subarray(4)).body;
}

function handler(apiKey: number) {
  const h = HANDLERS.find((x) => x.apiKey === apiKey);
  if (!h) throw new Error(`no handler for ${apiKey}`);
  return h;
}

/** A controller that accepts everything and mirrors the change into the fake cluster. */
function controller(cluster: FakeCluster) {
  return async (apiKey: number, version: number, body: any) => {
    switch (apiKey) {
      case 19:
        return {
          topics: body.topics.map((t: any) => {
            if (cluster.metadata.topic(t.name)) return { name: t.name, errorCode: Err.TOPIC_ALREADY_EXISTS, errorMessage: 'exists' };
            if (!body.validateOnly) cluster.createTopic(t.name, t.numPartitions, [1], Object.fromEntries(t.configs.map((c: any) => [c.name, c.value])));
            return { name: t.name, errorCode: 0 };
          }),
        };
      case 20: {
        const names: string[] = version >= 6 ? body.topics.map((t: any) => t.name) : body.topicNames;
        return {
          responses: names.map((name) => {
            if (!cluster.metadata.topic(name)) return { name, errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION };
            cluster.deleteTopic(name);
            return { name, errorCode: 0 };
          }),
        };
      }
      case 37:
        return {
          results: body.topics.map((t: any) => {
            if (!body.validateOnly) cluster.addPartitions(t.name, t.count);
            return { name: t.name, errorCode: 0, errorMessage: null };
          }),
        };
      case 33:
      case 44:
        return {
          responses: body.resources.map((r: any) => {
            if (!body.validateOnly) for (const c of r.configs) cluster.setConfig(r.resourceType, r.resourceName, c.name, c.configOperation === 1 ? null : c.value);
            return { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 0, errorMessage: null };
          }),
        };
      default:
        throw new Error(`unexpected forward of ${apiKey}`);
    }
  };
}

const versions = (apiKey: number) => {
  const h = handler(apiKey);
  const out: number[] = [];
  for (let v = h.minVersion; v <= h.maxVersion; v++) out.push(v);
  return out;
};

describe('admin handlers over the real codec', () => {
  it.each(versions(19))('CreateTopics v%i', async (v) => {
    const cluster = new FakeCluster();
    const ctx = cluster.context({ apiVersion: v, forward: controller(cluster) });
    const req = viaWire(19, v, {
      topics: [
        { name: `t${v}`, numPartitions: v >= 4 ? -1 : 2, replicationFactor: v >= 4 ? -1 : 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] },
        { name: 'bad name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    const res = answerViaWire(19, v, await handler(19).handle(ctx, req));
    expect(res.topics.map((t: any) => [t.name, t.errorCode])).toEqual([
      [`t${v}`, 0],
      ['bad name', Err.INVALID_TOPIC_EXCEPTION],
    ]);
    if (v >= 1) expect(typeof res.topics[1].errorMessage).toBe('string');
    if (v >= 5) {
      expect(res.topics[0].numPartitions).toBe(v >= 4 ? 1 : 2);
      expect(res.topics[0].configs.find((c: any) => c.name === 'retention.ms').value).toBe('1000');
    }
    if (v >= 7) expect(res.topics[0].topicId).toBe(cluster.metadata.topic(`t${v}`)!.topicId);
  });

  it.each(versions(20))('DeleteTopics v%i', async (v) => {
    const cluster = new FakeCluster();
    const id = cluster.createTopic('gone', 1);
    const ctx = cluster.context({ apiVersion: v, forward: controller(cluster) });
    const body = v >= 6 ? { topics: [{ name: null, topicId: id }, { name: 'missing', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 1000 } : { topicNames: ['gone', 'missing'], timeoutMs: 1000 };
    const res = answerViaWire(20, v, await handler(20).handle(ctx, viaWire(20, v, body)));
    expect(res.responses.map((r: any) => [r.name, r.errorCode])).toEqual([
      ['gone', 0],
      ['missing', Err.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    if (v >= 6) expect(res.responses[0].topicId).toBe(id);
  });

  it.each(versions(37))('CreatePartitions v%i', async (v) => {
    const cluster = new FakeCluster();
    cluster.createTopic('grow', 1);
    const ctx = cluster.context({ apiVersion: v, forward: controller(cluster) });
    const req = viaWire(37, v, { topics: [{ name: 'grow', count: 3, assignments: null }, { name: 'grow2', count: -5, assignments: null }], timeoutMs: 1000, validateOnly: false });
    const res = answerViaWire(37, v, await handler(37).handle(ctx, req));
    expect(res.results.map((r: any) => [r.name, r.errorCode])).toEqual([
      ['grow', 0],
      ['grow2', Err.INVALID_PARTITIONS],
    ]);
  });

  it.each(versions(32))('DescribeConfigs v%i', async (v) => {
    const cluster = new FakeCluster();
    cluster.createTopic('d', 1, [1], { 'cleanup.policy': 'compact' });
    const ctx = cluster.context({ apiVersion: v });
    const req = viaWire(32, v, {
      resources: [
        { resourceType: 2, resourceName: 'd', configurationKeys: null },
        { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] },
        { resourceType: 2, resourceName: 'nope', configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    const res = answerViaWire(32, v, await handler(32).handle(ctx, req));
    expect(res.results.map((r: any) => r.errorCode)).toEqual([0, 0, Err.UNKNOWN_TOPIC_OR_PARTITION]);
    const cp = res.results[0].configs.find((c: any) => c.name === 'cleanup.policy');
    expect(cp.value).toBe('compact');
    if (v >= 1) {
      expect(cp.configSource).toBe(1);
      expect(cp.synonyms.length).toBeGreaterThan(0);
    } else expect(cp.isDefault).toBe(false);
    if (v >= 3) {
      expect(cp.configType).toBe(7);
      expect(typeof cp.documentation).toBe('string');
    }
    expect(res.results[1].configs.map((c: any) => c.name)).toEqual(['num.partitions']);
  });

  it.each(versions(33))('AlterConfigs v%i', async (v) => {
    const cluster = new FakeCluster();
    cluster.createTopic('a', 1);
    const ctx = cluster.context({ apiVersion: v, forward: controller(cluster) });
    const req = viaWire(33, v, {
      resources: [
        { resourceType: 2, resourceName: 'a', configs: [{ name: 'retention.ms', value: '60000' }] },
        { resourceType: 2, resourceName: 'a2', configs: [{ name: 'retention.ms', value: 'x' }] },
        { resourceType: 1, resourceName: 'z', configs: [] },
      ],
      validateOnly: false,
    });
    const res = answerViaWire(33, v, await handler(33).handle(ctx, req));
    expect(res.responses.map((r: any) => r.errorCode)).toEqual([0, 0, Err.INVALID_REQUEST]);
    expect(cluster.metadata.topicConfigOverrides('a').get('retention.ms')).toBe('60000');
  });

  it.each(versions(44))('IncrementalAlterConfigs v%i', async (v) => {
    const cluster = new FakeCluster();
    cluster.createTopic('i', 1);
    const ctx = cluster.context({ apiVersion: v, forward: controller(cluster) });
    const req = viaWire(44, v, {
      resources: [
        { resourceType: 2, resourceName: 'i', configs: [{ name: 'retention.ms', configOperation: 0, value: '1234' }] },
        { resourceType: 8, resourceName: '1', configs: [{ name: 'root', configOperation: 0, value: 'WARN' }] },
      ],
      validateOnly: false,
    });
    const res = answerViaWire(44, v, await handler(44).handle(ctx, req));
    expect(res.responses.map((r: any) => r.errorCode)).toEqual([0, 0]);
  });

  it.each(versions(21))('DeleteRecords v%i', async (v) => {
    const cluster = new FakeCluster();
    cluster.createTopic('r', 1);
    const log = { logStartOffset: 0, deleteRecordsBefore: async (o: number) => (log.logStartOffset = o) };
    const p = { key: 'r-0', log, highWatermark: 10, get logStartOffset() { return log.logStartOffset; }, poke: () => undefined };
    const ctx = cluster.context({ apiVersion: v, replicas: { leaderFor: (t: string) => (t === 'r' ? { partition: p, errorCode: 0 } : { partition: null, errorCode: 3 }) } });
    const req = viaWire(21, v, { topics: [{ name: 'r', partitions: [{ partitionIndex: 0, offset: 4n }] }, { name: 'x', partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 100 });
    const res = answerViaWire(21, v, await handler(21).handle(ctx, req));
    expect(res.topics[0].partitions[0]).toEqual(expect.objectContaining({ partitionIndex: 0, lowWatermark: 4n, errorCode: 0 }));
    expect(res.topics[1].partitions[0]).toEqual(expect.objectContaining({ lowWatermark: -1n, errorCode: 3 }));
  });

  it.each(versions(60))('DescribeCluster v%i', async (v) => {
    const cluster = new FakeCluster();
    const res = answerViaWire(60, v, await handler(60).handle(cluster.context({ apiVersion: v }), viaWire(60, v, { includeClusterAuthorizedOperations: false, endpointType: 1 })));
    expect(res).toEqual(expect.objectContaining({ errorCode: 0, clusterId: 'test-cluster-id-000000', controllerId: 1, clusterAuthorizedOperations: -2147483648 }));
    expect(res.brokers).toEqual([expect.objectContaining({ brokerId: 1, host: 'localhost', port: 9092, rack: null })]);
  });

  it.each(versions(35))('DescribeLogDirs v%i', async (v) => {
    const cluster = new FakeCluster();
    const logManager = { describe: () => [{ logDir: '/tmp', logs: [{ topic: 'x', partition: 0, sizeInBytes: 42 }] }] };
    const ctx = cluster.context({ apiVersion: v, replicas: { logManager } });
    const res = answerViaWire(35, v, await handler(35).handle(ctx, viaWire(35, v, { topics: null })));
    expect(res.results[0].topics[0].partitions[0]).toEqual(expect.objectContaining({ partitionIndex: 0, partitionSize: 42n, offsetLag: 0n, isFutureKey: false }));
    if (v >= 4) expect(res.results[0].totalBytes > 0n).toBe(true);
  });

  it('error responses encode for every version', () => {
    const cluster = new FakeCluster();
    const reqs: Record<number, any> = {
      19: { topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 0, validateOnly: false },
      20: { topicNames: ['a'], topics: [{ name: 'a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 0 },
      21: { topics: [{ name: 'a', partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 0 },
      32: { resources: [{ resourceType: 2, resourceName: 'a', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false },
      33: { resources: [{ resourceType: 2, resourceName: 'a', configs: [] }], validateOnly: false },
      35: { topics: null },
      37: { topics: [{ name: 'a', count: 2, assignments: null }], timeoutMs: 0, validateOnly: false },
      44: { resources: [{ resourceType: 2, resourceName: 'a', configs: [] }], validateOnly: false },
      60: { includeClusterAuthorizedOperations: false, endpointType: 1 },
    };
    for (const [k, body] of Object.entries(reqs)) {
      const key = Number(k);
      for (const v of versions(key)) {
        const res = handler(key).errorResponse!(cluster.context({ apiVersion: v }), viaWire(key, v, body), Err.INVALID_REQUEST);
        expect(() => answerViaWire(key, v, res)).not.toThrow();
      }
    }
  });
});
