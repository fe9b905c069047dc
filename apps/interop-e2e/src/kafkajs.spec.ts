// kafkajs 2.2.4: producer (plain and idempotent, acks 0/1/all) and the admin client.
import { CompressionTypes, ConfigResourceTypes, Kafka } from 'kafkajs';
import { RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { kcatConsume } from './support/kcat';
import { eventually, startNode, withLogs } from './support/nodes';

let node: RunnelNode;
let kafka: Kafka;
let errors: ReturnType<typeof kafkajs>['errors'];

beforeAll(async () => {
  node = await startNode('kafkajs');
  ({ kafka, errors } = kafkajs(node.bootstrap));
});

afterAll(async () => {
  await node?.cleanup();
});

/** Awaits a promise that must reject and returns the error. */
async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

/** Kafka error names in a kafkajs error (aggregate errors carry one per topic). */
function errorTypes(e: any): string[] {
  // kafkajs retries retriable errors (e.g. UNKNOWN_TOPIC_OR_PARTITION) and then wraps the last one.
  if (e?.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause) return errorTypes(e.cause);
  if (Array.isArray(e?.errors)) return e.errors.map((x: any) => x.type ?? x.name);
  return [e?.type ?? e?.name];
}

describe('kafkajs producer', () => {
  it('produces with acks=all, acks=1 and acks=0 and the records read back', () =>
    withLogs(node, async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kj-acks', numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      try {
        const all = await producer.send({ topic: 'kj-acks', acks: -1, messages: [{ key: 'a', value: 'all-1', partition: 0 }, { value: 'all-2', partition: 0 }] });
        expect(all).toEqual([expect.objectContaining({ topicName: 'kj-acks', partition: 0, errorCode: 0, baseOffset: '0' })]);
        const one = await producer.send({ topic: 'kj-acks', acks: 1, messages: [{ value: 'one-1', partition: 0, headers: { h: 'v' } }] });
        expect(one[0]).toMatchObject({ partition: 0, errorCode: 0, baseOffset: '2' });
        await producer.send({ topic: 'kj-acks', acks: 0, messages: [{ value: 'zero-1', partition: 0 }] });
        // A follow-up request on the same connection must still work (no stray acks=0 response).
        const after = await producer.send({ topic: 'kj-acks', acks: -1, messages: [{ value: 'after', partition: 0 }] });
        expect(after[0]).toMatchObject({ errorCode: 0, baseOffset: '4' });
        const gz = await producer.send({ topic: 'kj-acks', compression: CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ value: `gz-${i}`, partition: 1 })) });
        expect(gz[0]).toMatchObject({ partition: 1, baseOffset: '0' });
      } finally {
        await producer.disconnect();
      }
      const p0 = await kcatConsume(node.bootstrap, 'kj-acks', ['-p', '0']);
      expect(p0.map((m) => m.payload)).toEqual(['all-1', 'all-2', 'one-1', 'zero-1', 'after']);
      expect(p0[0].key).toBe('a');
      expect(p0[2].headers).toEqual(['h', 'v']);
      const p1 = await kcatConsume(node.bootstrap, 'kj-acks', ['-p', '1']);
      expect(p1.map((m) => m.payload)).toEqual(Array.from({ length: 50 }, (_, i) => `gz-${i}`));
      expect(errors).toEqual([]);
    }));

  it('idempotent producer: sequential sends get contiguous offsets, no duplicates', () =>
    withLogs(node, async () => {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const offsets: number[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          const r = await producer.send({ topic: 'kj-idem', acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${j % 3}`, value: `m-${i}-${j}`, partition: 0 })) });
          expect(r[0].errorCode).toBe(0);
          offsets.push(Number(r[0].baseOffset));
        }
      } finally {
        await producer.disconnect();
      }
      expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
      const msgs = await kcatConsume(node.bootstrap, 'kj-idem', ['-p', '0']);
      expect(msgs).toHaveLength(200);
      expect(msgs.map((m) => m.payload)).toEqual(Array.from({ length: 200 }, (_, k) => `m-${Math.floor(k / 10)}-${k % 10}`));
      expect(errors).toEqual([]);
    }));
});

describe('kafkajs admin', () => {
  it('a deleted and re-created topic starts empty', () =>
    withLogs(node, async () => {
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer();
      await producer.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'kj-again', numPartitions: 1 }], waitForLeaders: true });
        await producer.send({ topic: 'kj-again', messages: Array.from({ length: 10 }, (_, i) => ({ value: `old-${i}` })) });
        await admin.deleteTopics({ topics: ['kj-again'] });
        await eventually(async () => !(await admin.listTopics()).includes('kj-again'));
        await admin.createTopics({ topics: [{ topic: 'kj-again', numPartitions: 1 }], waitForLeaders: true });
        expect((await admin.fetchTopicOffsets('kj-again'))[0]).toMatchObject({ low: '0', high: '0' });
        const r = await producer.send({ topic: 'kj-again', messages: [{ value: 'new-0' }] });
        expect(r[0].baseOffset).toBe('0');
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
      expect((await kcatConsume(node.bootstrap, 'kj-again')).map((m) => m.payload)).toEqual(['new-0']);
    }));

  it('creates, lists, describes, alters, extends and deletes topics', () =>
    withLogs(node, async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const created = await admin.createTopics({
          topics: [{ topic: 'kj-admin', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'delete' }] }],
          waitForLeaders: true,
        });
        expect(created).toBe(true);
        // Existing topic: kafkajs swallows TOPIC_ALREADY_EXISTS and returns false.
        expect(await admin.createTopics({ topics: [{ topic: 'kj-admin' }] })).toBe(false);
        expect(errorTypes(await rejection(admin.createTopics({ topics: [{ topic: 'bad topic name!' }] })))).toEqual(['INVALID_TOPIC_EXCEPTION']);
        expect(errorTypes(await rejection(admin.createTopics({ topics: [{ topic: 'kj-badcfg', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })))).toEqual(['INVALID_CONFIG']);
        expect(errorTypes(await rejection(admin.createTopics({ topics: [{ topic: 'kj-badrf', replicationFactor: 3 }] })))).toEqual(['INVALID_REPLICATION_FACTOR']);

        expect(await admin.listTopics()).toEqual(expect.arrayContaining(['kj-admin']));
        expect(await admin.listTopics()).not.toContain('kj-badcfg');
        const md = await admin.fetchTopicMetadata({ topics: ['kj-admin'] });
        expect(md.topics[0].partitions.map((p) => [p.partitionId, p.leader]).sort()).toEqual([
          [0, 1],
          [1, 1],
        ]);

        const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-admin', configNames: ['retention.ms', 'segment.bytes'] }] });
        const entries = Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e]));
        expect(entries['retention.ms']).toMatchObject({ configValue: '3600000', isDefault: false });
        expect(entries['segment.bytes']).toMatchObject({ configValue: '1073741824', isDefault: true });

        await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-admin', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
        const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-admin', configNames: ['retention.ms'] }] });
        expect(after.resources[0].configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '7200000' });
        expect(
          errorTypes(
            await rejection(
              admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-admin', configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] }),
            ),
          ),
        ).toEqual(['INVALID_CONFIG']);

        await admin.createPartitions({ topicPartitions: [{ topic: 'kj-admin', count: 4 }] });
        await eventually(async () => (await admin.fetchTopicMetadata({ topics: ['kj-admin'] })).topics[0].partitions.length === 4);

        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: 'kj-admin', messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: 3 })) });
        await producer.disconnect();
        const offsets = await admin.fetchTopicOffsets('kj-admin');
        expect(offsets.find((o) => o.partition === 3)).toMatchObject({ low: '0', high: '10' });

        await admin.deleteTopicRecords({ topic: 'kj-admin', partitions: [{ partition: 3, offset: '4' }] });
        const trimmed = await admin.fetchTopicOffsets('kj-admin');
        expect(trimmed.find((o) => o.partition === 3)).toMatchObject({ low: '4', high: '10' });

        const cluster = await admin.describeCluster();
        expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: node.kafkaPort }]);
        expect(cluster.controller).toBe(1);

        await admin.deleteTopics({ topics: ['kj-admin'] });
        await eventually(async () => !(await admin.listTopics()).includes('kj-admin'));
        expect(errorTypes(await rejection(admin.deleteTopics({ topics: ['kj-never-existed'], timeout: 3000 })))).toEqual(['UNKNOWN_TOPIC_OR_PARTITION']);
      } finally {
        await admin.disconnect();
      }
    }));
});
