import * as fs from 'node:fs';
import * as net from 'node:net';
import { KafkaConnection } from '@runnel/client';
import { MetadataImage, replayMetadataBatches } from '@runnel/metadata';
import { ApiKey, ErrorCode, encodeRequest } from '@runnel/protocol';
import { RunningController } from './bootstrap';
import { connect, registerBroker, startTestController, tempDir } from './testing/harness';

jest.setTimeout(60_000);

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('controller admin APIs over TCP', () => {
  let dir: string;
  let ctl: RunningController;
  let conn: KafkaConnection;

  const create = (topics: any[], validateOnly = false, version = 7) =>
    conn.send(ApiKey.CreateTopics, version, {
      topics: topics.map((t) => ({ numPartitions: 1, replicationFactor: 1, assignments: [], configs: [], ...t })),
      timeoutMs: 5000,
      validateOnly,
    });

  beforeAll(async () => {
    dir = tempDir();
    ctl = await startTestController(dir, { 'num.partitions': 2 });
    conn = await connect(ctl.port);
    await registerBroker(conn, 1);
    await registerBroker(conn, 2);
  });

  afterAll(async () => {
    await conn?.close();
    await ctl?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('CreateTopics', () => {
    it('creates topics with round-robin placement, a leader per partition and configs', async () => {
      const res = await create([{ name: 'rr', numPartitions: 4, replicationFactor: 2, configs: [{ name: 'cleanup.policy', value: 'compact' }] }]);
      const t = res.topics[0];
      expect(t).toMatchObject({ errorCode: 0, numPartitions: 4, replicationFactor: 2 });
      expect(t.topicId).not.toBe(ZERO);
      expect(t.configs.find((c: any) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', configSource: 1 });
      const topic = ctl.runtime.controller!.image.topic('rr')!;
      expect(topic.topicId).toBe(t.topicId);
      const leaders = topic.partitions.map((p) => p.leader);
      expect(new Set(leaders)).toEqual(new Set([1, 2]));
      for (const p of topic.partitions) {
        expect(p.replicas).toHaveLength(2);
        expect(new Set(p.replicas).size).toBe(2);
        expect(p.isr).toEqual(p.replicas);
        expect(p.leader).toBe(p.replicas[0]);
      }
    });

    it('uses num.partitions and default.replication.factor for -1', async () => {
      const res = await create([{ name: 'defaults', numPartitions: -1, replicationFactor: -1 }]);
      expect(res.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    });

    it('answers each topic with its own error code', async () => {
      await create([{ name: 'exists.already' }]);
      const res = await create([
        { name: 'exists.already' },
        { name: 'exists_already' },
        { name: 'bad name' },
        { name: '' },
        { name: '..' },
        { name: 'x'.repeat(250) },
        { name: 'y'.repeat(249) },
        { name: 'zero-partitions', numPartitions: 0 },
        { name: 'rf-zero', replicationFactor: 0 },
        { name: 'rf-too-big', replicationFactor: 3 },
        { name: 'bad-config', configs: [{ name: 'no.such.config', value: '1' }] },
        { name: 'bad-value', configs: [{ name: 'retention.ms', value: 'soon' }] },
        { name: 'bad-policy', configs: [{ name: 'cleanup.policy', value: 'shred' }] },
        { name: 'dup' },
        { name: 'dup' },
        { name: 'both', numPartitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [1] }] },
        { name: 'gap', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [1] }] },
        { name: 'unknown-broker', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [9] }] },
        { name: 'huge', numPartitions: 2_000_000_000 },
      ]);
      const codes = Object.fromEntries(res.topics.map((t: any) => [t.name.slice(0, 20), t.errorCode]));
      expect(codes).toEqual({
        'exists.already': ErrorCode.TOPIC_ALREADY_EXISTS,
        exists_already: ErrorCode.INVALID_TOPIC_EXCEPTION,
        'bad name': ErrorCode.INVALID_TOPIC_EXCEPTION,
        '': ErrorCode.INVALID_TOPIC_EXCEPTION,
        '..': ErrorCode.INVALID_TOPIC_EXCEPTION,
        ['x'.repeat(20)]: ErrorCode.INVALID_TOPIC_EXCEPTION,
        ['y'.repeat(20)]: 0,
        'zero-partitions': ErrorCode.INVALID_PARTITIONS,
        'rf-zero': ErrorCode.INVALID_REPLICATION_FACTOR,
        'rf-too-big': ErrorCode.INVALID_REPLICATION_FACTOR,
        'bad-config': ErrorCode.INVALID_CONFIG,
        'bad-value': ErrorCode.INVALID_CONFIG,
        'bad-policy': ErrorCode.INVALID_CONFIG,
        dup: ErrorCode.INVALID_REQUEST,
        both: ErrorCode.INVALID_REQUEST,
        gap: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'unknown-broker': ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        huge: ErrorCode.INVALID_PARTITIONS,
      });
      expect(res.topics.find((t: any) => t.name === 'rf-too-big').errorMessage).toMatch(/only 2 broker/);
      expect(res.topics.find((t: any) => t.name === 'bad-config').errorMessage).toMatch(/no.such.config/);
      expect(ctl.runtime.controller!.image.topics.has('y'.repeat(249))).toBe(true);
      expect(ctl.runtime.controller!.image.topics.has('dup')).toBe(false);
    });

    it('accepts explicit assignments', async () => {
      const res = await create([
        { name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [
          { partitionIndex: 1, brokerIds: [1, 2] },
          { partitionIndex: 0, brokerIds: [2, 1] },
        ] },
      ]);
      expect(res.topics[0].errorCode).toBe(0);
      expect(ctl.runtime.controller!.image.topic('assigned')!.partitions.map((p) => p.replicas)).toEqual([[2, 1], [1, 2]]);
    });

    it('validateOnly writes nothing', async () => {
      const before = ctl.runtime.raft!.logEndOffset;
      const res = await create([{ name: 'dry-run', numPartitions: 3 }], true);
      expect(res.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 3, topicId: ZERO });
      expect(ctl.runtime.controller!.image.topics.has('dry-run')).toBe(false);
      expect(ctl.runtime.raft!.logEndOffset).toBe(before);
    });

    it('works with old versions (v0, v4)', async () => {
      const r0 = await create([{ name: 'old-v0', numPartitions: 1, replicationFactor: 1 }], false, 0);
      expect(r0.topics[0]).toMatchObject({ name: 'old-v0', errorCode: 0 });
      const r4 = await create([{ name: 'old-v0' }], false, 4);
      expect(r4.topics[0]).toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: expect.stringContaining('already exists') });
    });
  });

  describe('DeleteTopics', () => {
    it('deletes by name (v5) and by id (v6); unknown names and ids get their error codes', async () => {
      await create([{ name: 'del-a' }, { name: 'del-b' }]);
      const idB = ctl.runtime.controller!.image.topic('del-b')!.topicId;
      const r5 = await conn.send(ApiKey.DeleteTopics, 5, { topicNames: ['del-a', 'nope'], timeoutMs: 1000 });
      expect(r5.responses.map((r: any) => [r.name, r.errorCode])).toEqual([
        ['del-a', 0],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      const r6 = await conn.send(ApiKey.DeleteTopics, 6, {
        topics: [
          { name: null, topicId: idB },
          { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAw' },
        ],
        timeoutMs: 1000,
      });
      expect(r6.responses.map((r: any) => [r.name, r.errorCode])).toEqual([
        ['del-b', 0],
        [null, ErrorCode.UNKNOWN_TOPIC_ID],
      ]);
      const img = ctl.runtime.controller!.image;
      expect(img.topics.has('del-a') || img.topics.has('del-b')).toBe(false);
      // The name is free again.
      expect((await create([{ name: 'del-a' }])).topics[0].errorCode).toBe(0);
    });
  });

  describe('CreatePartitions', () => {
    it('grows topics and refuses shrinking, no-ops, unknown topics and bad assignments', async () => {
      await create([{ name: 'grow', numPartitions: 1, replicationFactor: 2 }]);
      const res = await conn.send(ApiKey.CreatePartitions, 3, {
        topics: [
          { name: 'grow', count: 3, assignments: null },
          { name: 'rr', count: 2, assignments: null },
          { name: 'rr', count: 9, assignments: null },
          { name: 'missing', count: 2, assignments: null },
          { name: 'defaults', count: 2, assignments: null },
          { name: 'assigned', count: 3, assignments: [{ brokerIds: [1] }] },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      });
      expect(res.results.map((r: any) => r.errorCode)).toEqual([
        0,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.INVALID_PARTITIONS,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ]);
      const grow = ctl.runtime.controller!.image.topic('grow')!;
      expect(grow.partitions).toHaveLength(3);
      expect(grow.partitions.every((p) => p.replicas.length === 2 && p.leader >= 1)).toBe(true);
      const v0 = await conn.send(ApiKey.CreatePartitions, 0, { topics: [{ name: 'grow', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
      expect(v0.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    });
  });

  describe('AlterConfigs and IncrementalAlterConfigs', () => {
    const topicCfg = () => ctl.runtime.controller!.image.topicConfigs.get('cfg');

    it('replaces, sets, deletes, appends and subtracts topic configs', async () => {
      await create([{ name: 'cfg', configs: [{ name: 'retention.ms', value: '1000' }, { name: 'segment.bytes', value: '1048576' }] }]);
      // AlterConfigs replaces the whole set: segment.bytes goes away.
      let r = await conn.send(ApiKey.AlterConfigs, 2, {
        resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: '2000' }] }],
        validateOnly: false,
      });
      expect(r.responses[0]).toMatchObject({ errorCode: 0, resourceType: 2, resourceName: 'cfg' });
      expect(Object.fromEntries(topicCfg()!)).toEqual({ 'retention.ms': '2000' });

      r = await conn.send(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [
          {
            resourceType: 2,
            resourceName: 'cfg',
            configs: [
              { name: 'retention.ms', configOperation: 1, value: null },
              { name: 'max.message.bytes', configOperation: 0, value: '2048' },
              { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
            ],
          },
        ],
        validateOnly: false,
      });
      expect(r.responses[0].errorCode).toBe(0);
      expect(Object.fromEntries(topicCfg()!)).toEqual({ 'max.message.bytes': '2048', 'cleanup.policy': 'delete,compact' });

      r = await conn.send(ApiKey.IncrementalAlterConfigs, 0, {
        resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }] }],
        validateOnly: false,
      });
      expect(r.responses[0].errorCode).toBe(0);
      expect(topicCfg()!.get('cleanup.policy')).toBe('compact');
    });

    it('validates: unknown topic, bad key, bad value, append on a scalar, validateOnly, bad op', async () => {
      const r = await conn.send(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: 2, resourceName: 'nope', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] },
          { resourceType: 2, resourceName: 'cfg', configs: [{ name: 'bogus.key', configOperation: 0, value: '1' }] },
          { resourceType: 2, resourceName: 'rr', configs: [{ name: 'retention.ms', configOperation: 0, value: 'x' }] },
          { resourceType: 2, resourceName: 'defaults', configs: [{ name: 'retention.ms', configOperation: 2, value: '5' }] },
          { resourceType: 2, resourceName: 'old-v0', configs: [{ name: 'retention.ms', configOperation: 7, value: '5' }] },
          { resourceType: 3, resourceName: 'grow', configs: [] },
        ],
        validateOnly: false,
      });
      expect(r.responses.map((x: any) => x.errorCode)).toEqual([
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.INVALID_CONFIG,
        ErrorCode.INVALID_CONFIG,
        ErrorCode.INVALID_CONFIG,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.INVALID_REQUEST,
      ]);
      const dry = await conn.send(ApiKey.AlterConfigs, 1, {
        resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: '5' }] }],
        validateOnly: true,
      });
      expect(dry.responses[0].errorCode).toBe(0);
      expect(topicCfg()!.has('retention.ms')).toBe(false);
    });

    it('stores broker and cluster-default configs, refusing read-only and unknown keys', async () => {
      const r = await conn.send(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '60000' }] },
          { resourceType: 4, resourceName: '1', configs: [{ name: 'num.partitions', configOperation: 0, value: '3' }] },
          { resourceType: 4, resourceName: '3', configs: [{ name: 'log.dirs', configOperation: 0, value: '/x' }] },
          { resourceType: 4, resourceName: 'abc', configs: [] },
          { resourceType: 4, resourceName: '2', configs: [{ name: 'nonsense', configOperation: 0, value: '1' }] },
        ],
        validateOnly: false,
      });
      expect(r.responses.map((x: any) => x.errorCode)).toEqual([0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_CONFIG]);
      const img = ctl.runtime.controller!.image;
      expect(img.brokerConfigs.get('')!.get('log.retention.ms')).toBe('60000');
      const del = await conn.send(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 1, value: null }] }],
        validateOnly: false,
      });
      expect(del.responses[0].errorCode).toBe(0);
      expect(img.brokerConfigs.has('')).toBe(false);
    });
  });

  describe('quorum and cluster', () => {
    it('DescribeQuorum reports the single voter as leader with the high watermark', async () => {
      for (const v of [0, 1, 2]) {
        const r = await conn.send(ApiKey.DescribeQuorum, v, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
        const p = r.topics[0].partitions[0];
        expect(p).toMatchObject({ errorCode: 0, leaderId: 1, leaderEpoch: ctl.runtime.raft!.epoch });
        expect(Number(p.highWatermark)).toBe(ctl.runtime.raft!.highWatermark);
        expect(p.currentVoters.map((x: any) => x.replicaId)).toEqual([1]);
        expect(Number(p.currentVoters[0].logEndOffset)).toBe(ctl.runtime.raft!.logEndOffset);
        if (v >= 2) expect(r.nodes[0]).toMatchObject({ nodeId: 1, listeners: [{ name: 'CONTROLLER', host: '127.0.0.1', port: ctl.port }] });
      }
      const bad = await conn.send(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: 'other', partitions: [{ partitionIndex: 0 }] }] });
      expect(bad.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });

    it('DescribeCluster gives the cluster id, controller and brokers', async () => {
      const r = await conn.send(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      expect(r).toMatchObject({ errorCode: 0, clusterId: ctl.clusterId, controllerId: 1 });
      expect(r.brokers.map((b: any) => b.brokerId)).toEqual([1, 2]);
      const c = await conn.send(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
      expect(c.brokers).toEqual([expect.objectContaining({ brokerId: 1, port: ctl.port })]);
    });

    it('AllocateProducerIds hands out disjoint blocks', async () => {
      const epoch = ctl.runtime.controller!.image.brokers.get(1)!.epoch;
      const a = await conn.send(ApiKey.AllocateProducerIds, 0, { brokerId: 1, brokerEpoch: BigInt(epoch) });
      const b = await conn.send(ApiKey.AllocateProducerIds, 0, { brokerId: 1, brokerEpoch: BigInt(epoch) });
      expect(a).toMatchObject({ errorCode: 0, producerIdLen: 1000 });
      expect(Number(b.producerIdStart)).toBe(Number(a.producerIdStart) + 1000);
      const stale = await conn.send(ApiKey.AllocateProducerIds, 0, { brokerId: 1, brokerEpoch: 12345n });
      expect(stale.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    });
  });

  describe('Fetch of __cluster_metadata', () => {
    const fetch = (offset: number, opts: { maxWaitMs?: number; lastFetchedEpoch?: number; topic?: string; version?: number } = {}) =>
      conn.send(
        ApiKey.Fetch,
        opts.version ?? 12,
        {
          replicaId: -1,
          maxWaitMs: opts.maxWaitMs ?? 0,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: opts.topic ?? '__cluster_metadata',
              topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
              partitions: [
                { partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: opts.lastFetchedEpoch ?? -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        },
        { timeoutMs: 10_000 },
      );

    it('replays into an image identical to the controller image', async () => {
      const image = new MetadataImage();
      for (let i = 0; i < 50 && image.offset + 1 < ctl.runtime.raft!.highWatermark; i++) {
        const r = await fetch(image.offset + 1, { lastFetchedEpoch: image.epoch });
        const p = r.responses[0].partitions[0];
        expect(p.errorCode).toBe(0);
        replayMetadataBatches(image, p.records);
      }
      const ctlImage = ctl.runtime.controller!.image;
      expect(image.offset).toBe(ctlImage.offset);
      expect([...image.topics.keys()].sort()).toEqual([...ctlImage.topics.keys()].sort());
      expect(image.topic('rr')!.partitions).toEqual(ctlImage.topic('rr')!.partitions);
      expect([...image.brokers.values()]).toEqual([...ctlImage.brokers.values()]);
      expect(image.features.get('metadata.version')).toBeGreaterThan(0);
    });

    it('long-polls until a new record is committed', async () => {
      const hw = ctl.runtime.raft!.highWatermark;
      const t0 = Date.now();
      const pending = fetch(hw, { maxWaitMs: 5000 });
      setTimeout(() => void create([{ name: 'wake-up' }]), 200);
      const r = await pending;
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(4000);
      expect(r.responses[0].partitions[0].records).not.toBeNull();
      const empty = await fetch(ctl.runtime.raft!.highWatermark, { maxWaitMs: 100 });
      expect(empty.responses[0].partitions[0].records).toBeNull();
    });

    it('reports divergence, out-of-range offsets and unknown topics', async () => {
      const div = await fetch(ctl.runtime.raft!.highWatermark, { lastFetchedEpoch: 99 });
      expect(div.responses[0].partitions[0].divergingEpoch.epoch).not.toBe(99);
      const oor = await fetch(1_000_000);
      expect(oor.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      const other = await fetch(0, { topic: 'rr' });
      expect(other.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const wrongCluster = await conn.send(ApiKey.Fetch, 12, {
        clusterId: 'AAAAAAAAAAAAAAAAAAAAAA',
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1000,
        topics: [{ topic: '__cluster_metadata', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000 }] }],
      });
      expect(wrongCluster.errorCode).toBe(ErrorCode.INCONSISTENT_CLUSTER_ID);
      const v13 = await fetch(0, { version: 13 });
      expect(v13.responses[0].partitions[0].errorCode).toBe(0);
    });
  });

  describe('hostile input', () => {
    const raw = (bytes: Buffer) =>
      new Promise<string>((resolve) => {
        const s = net.connect(ctl.port, '127.0.0.1', () => s.write(bytes));
        let got = 0;
        s.on('data', (d) => (got += d.length));
        s.on('error', () => undefined);
        s.on('close', () => resolve(got > 0 ? 'answered-then-closed' : 'closed'));
        setTimeout(() => {
          s.destroy();
          resolve(got > 0 ? 'answered' : 'open');
        }, 1500);
      });

    it('closes connections that send garbage, oversized or unsupported frames, and keeps serving', async () => {
      const big = Buffer.alloc(4);
      big.writeInt32BE(0x7ffffff0, 0);
      expect(await raw(big)).toBe('closed');
      const neg = Buffer.alloc(4);
      neg.writeInt32BE(-5, 0);
      expect(await raw(neg)).toBe('closed');
      expect(await raw(Buffer.from([0, 0, 0, 0]))).toBe('closed');
      expect(await raw(Buffer.from([0, 0, 0, 2, 0, 3]))).toBe('closed');
      const junk = Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('abcdefghijkl')]);
      expect(await raw(junk)).toBe('closed');
      // Produce is not served on the controller listener.
      const produce = Buffer.concat(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: 'x' }, { acks: 1, timeoutMs: 1, topicData: [], transactionalId: null } as any));
      expect(await raw(produce)).toBe('closed');
      // Truncated body of a known API.
      const ct = Buffer.concat(encodeRequest({ apiKey: ApiKey.CreateTopics, apiVersion: 7, correlationId: 2, clientId: 'x' }, { topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1, validateOnly: false } as any));
      const cut = Buffer.from(ct.subarray(0, ct.length - 6));
      cut.writeInt32BE(cut.length - 4, 0);
      expect(await raw(cut)).toBe('closed');
      // An unknown ApiVersions version gets a v0 answer (KIP-511), not a close.
      const av = Buffer.concat(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 3, clientId: 'x' }, {} as any));
      av.writeInt16BE(99, 6);
      expect(await raw(av)).toMatch(/answered/);
      const r = await conn.send(ApiKey.ApiVersions, 3, {});
      expect(r.errorCode).toBe(0);
    });

    it('survives random bodies for every API it serves (seeded fuzz)', async () => {
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const keys = [...conn.apiVersions!.entries()];
      const sockets: Promise<string>[] = [];
      for (let i = 0; i < 120; i++) {
        const [apiKey, range] = keys[Math.floor(rand() * keys.length)];
        const version = range.min + Math.floor(rand() * (range.max - range.min + 1));
        const body = Buffer.alloc(Math.floor(rand() * 64));
        for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
        const head = Buffer.alloc(14);
        head.writeInt32BE(10 + body.length, 0);
        head.writeInt16BE(apiKey, 4);
        head.writeInt16BE(version, 6);
        head.writeInt32BE(i, 8);
        head.writeInt16BE(-1, 12); // null client id
        sockets.push(raw(Buffer.concat([head, body])));
      }
      await Promise.all(sockets);
      // Still alive and consistent.
      const r = await conn.send(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
      expect(r.topics[0].partitions[0].errorCode).toBe(0);
    });
  });
});
