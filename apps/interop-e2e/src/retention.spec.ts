// Log behaviour users configure per topic: time and size retention, compaction, DeleteRecords,
// min.insync.replicas, and fetch size limits that must still return an oversized first batch.
import { Kafka } from 'kafkajs';
import { KafkaConnection } from '@runnel/client';
import { RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { kcat, kcatConsume } from './support/kcat';
import { describeRun } from './support/run';
import { eventually, startNode, withLogs } from './support/nodes';

let node: RunnelNode;
let kafka: Kafka;

beforeAll(async () => {
  node = await startNode('retention', {
    // Kafka's knobs for how often retention and the cleaner run (defaults: 5 min and 15 s).
    overrides: { 'log.retention.check.interval.ms': 500, 'log.cleaner.backoff.ms': 300 },
  });
  ({ kafka } = kafkajs(node.bootstrap, 'retention-e2e'));
});

afterAll(async () => {
  await node?.cleanup();
});

async function createTopic(topic: string, configs: Record<string, string>, numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

async function offsets(topic: string): Promise<{ low: number; high: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [p] = await admin.fetchTopicOffsets(topic);
    return { low: Number(p.low), high: Number(p.high) };
  } finally {
    await admin.disconnect();
  }
}

async function produce(topic: string, batches: number, perBatch: number, key: (i: number) => string | null, value: (i: number) => string, acks = -1): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let b = 0; b < batches; b++) {
      await producer.send({ topic, acks, messages: Array.from({ length: perBatch }, (_, j) => ({ key: key(b * perBatch + j), value: value(b * perBatch + j), partition: 0 })) });
    }
  } finally {
    await producer.disconnect();
  }
}

describe('retention and log management', () => {
  it('deletes records older than retention.ms and moves the log start offset to the end', () =>
    withLogs(node, async () => {
      await createTopic('ret-time', { 'retention.ms': '2000', 'segment.bytes': '2048' });
      await produce('ret-time', 20, 10, () => null, (i) => `t-${i}-${'x'.repeat(80)}`);
      const before = await offsets('ret-time');
      expect(before).toEqual({ low: 0, high: 200 });
      // Once every record is older than retention.ms, Kafka rolls the active segment and deletes them all:
      // the log start offset reaches the end offset and the next record gets offset 200.
      const after = await eventually(async () => {
        const o = await offsets('ret-time');
        return o.low === 200 ? o : undefined;
      }, 20_000, 250);
      expect(after).toEqual({ low: 200, high: 200 });
      expect(await kcatConsume(node.bootstrap, 'ret-time')).toEqual([]);
      await produce('ret-time', 1, 1, () => null, () => 'fresh');
      expect((await kcatConsume(node.bootstrap, 'ret-time')).map((m) => [m.offset, m.payload])).toEqual([[200, 'fresh']]);
    }));

  it('deletes old segments beyond retention.bytes', () =>
    withLogs(node, async () => {
      await createTopic('ret-size', { 'retention.bytes': '4096', 'segment.bytes': '1024' });
      await produce('ret-size', 30, 5, () => null, (i) => `s-${i}-${'y'.repeat(100)}`);
      // Retention runs every 500 ms, possibly while the batches are still arriving: wait for a pass after the last.
      const o = await eventually(async () => {
        const x = await offsets('ret-size');
        return x.high === 150 && x.high - x.low < 80 ? x : undefined;
      }, 15_000, 250);
      expect(o.high).toBe(150);
      const msgs = await kcatConsume(node.bootstrap, 'ret-size');
      // About 4 KiB (plus the active segment) of ~150-byte records remain, far fewer than 150.
      expect(msgs.length).toBeLessThan(80);
      expect(msgs.length).toBeGreaterThan(0);
    }));

  it('compacts a cleanup.policy=compact topic to the latest value per key', () =>
    withLogs(node, async () => {
      await createTopic('ret-compact', { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01', 'segment.ms': '100' });
      const keys = 10;
      await produce('ret-compact', 30, 10, (i) => `key-${i % keys}`, (i) => `v-${i}`);
      const latest = new Map<string, string>();
      for (let i = 0; i < 300; i++) latest.set(`key-${i % keys}`, `v-${i}`);
      const msgs = await eventually(async () => {
        const m = await kcatConsume(node.bootstrap, 'ret-compact');
        return m.length < 150 ? m : undefined;
      }, 20_000, 500);
      // Whatever was cleaned, each key's last value survives, offsets keep their order, and nothing is reordered.
      const seen = new Map<string, string>();
      let lastOffset = -1;
      for (const m of msgs) {
        expect(m.offset).toBeGreaterThan(lastOffset);
        lastOffset = m.offset;
        seen.set(m.key!, m.payload!);
      }
      expect(seen).toEqual(latest);
      expect((await offsets('ret-compact')).high).toBe(300);
    }));

  it('DeleteRecords moves the start offset and consumers from the beginning start there', () =>
    withLogs(node, async () => {
      await createTopic('ret-delrec', {});
      await produce('ret-delrec', 1, 50, () => null, (i) => `d-${i}`);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.fetchTopicMetadata({ topics: ['ret-delrec'] }); // kafkajs needs it loaded first
        await admin.deleteTopicRecords({ topic: 'ret-delrec', partitions: [{ partition: 0, offset: '20' }] });
      } finally {
        await admin.disconnect();
      }
      expect(await offsets('ret-delrec')).toEqual({ low: 20, high: 50 });
      const msgs = await kcatConsume(node.bootstrap, 'ret-delrec');
      expect(msgs.map((m) => m.offset)).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
      // Fetching below the start offset is OFFSET_OUT_OF_RANGE; librdkafka resets to the earliest.
      const r = await kcat(node.bootstrap, ['-C', '-t', 'ret-delrec', '-p', '0', '-o', '5', '-e', '-J', '-X', 'auto.offset.reset=earliest']);
      const first = r.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!first) throw new Error(describeRun('kcat -o 5', r));
      expect(JSON.parse(first).offset).toBe(20);
    }));

  it('refuses acks=all below min.insync.replicas with NOT_ENOUGH_REPLICAS, accepts acks=1', () =>
    withLogs(node, async () => {
      await createTopic('ret-minisr', { 'min.insync.replicas': '2' });
      const producer = kafka.producer({ retry: { retries: 1, initialRetryTime: 100 } });
      await producer.connect();
      try {
        let err: any;
        try {
          await producer.send({ topic: 'ret-minisr', acks: -1, messages: [{ value: 'all' }] });
        } catch (e) {
          err = e;
        }
        const type = err?.type ?? err?.cause?.type;
        expect(type).toMatch(/^NOT_ENOUGH_REPLICAS/);
        const ok = await producer.send({ topic: 'ret-minisr', acks: 1, messages: [{ value: 'one' }] });
        expect(ok[0].errorCode).toBe(0);
      } finally {
        await producer.disconnect();
      }
      expect((await kcatConsume(node.bootstrap, 'ret-minisr')).map((m) => m.payload)).toEqual(['one']);
    }));

  it('ListOffsets v7: earliest, latest, by timestamp and max timestamp', () =>
    withLogs(node, async () => {
      // Timestamps from 1970 are weeks past the 7-day default retention, and this node checks retention every
      // 500 ms: keep them for the query.
      await createTopic('ret-lo', { 'retention.ms': '-1' });
      const producer = kafka.producer();
      await producer.connect();
      try {
        // Out-of-order CreateTime timestamps: the largest one sits at offset 1.
        for (const ts of [1000, 5000, 3000]) await producer.send({ topic: 'ret-lo', messages: [{ value: `ts-${ts}`, timestamp: String(ts), partition: 0 }] });
      } finally {
        await producer.disconnect();
      }
      const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: node.kafkaPort, clientId: 'qa-listoffsets' });
      try {
        const query = async (timestamp: bigint) => {
          const r = await conn.send(2, 7, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [{ name: 'ret-lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
          });
          const p = r.topics[0].partitions[0];
          return { errorCode: p.errorCode, offset: Number(p.offset), timestamp: Number(p.timestamp) };
        };
        expect(await query(-2n)).toMatchObject({ errorCode: 0, offset: 0 });
        expect(await query(-1n)).toMatchObject({ errorCode: 0, offset: 3 });
        expect(await query(-3n)).toEqual({ errorCode: 0, offset: 1, timestamp: 5000 });
        expect(await query(2000n)).toEqual({ errorCode: 0, offset: 1, timestamp: 5000 });
        expect(await query(1000n)).toEqual({ errorCode: 0, offset: 0, timestamp: 1000 });
        expect(await query(6000n)).toMatchObject({ errorCode: 0, offset: -1 });
      } finally {
        await conn.close();
      }
    }));

  it('returns a batch larger than the fetch limits as the first batch (KIP-74)', () =>
    withLogs(node, async () => {
      await createTopic('ret-big', {});
      const big = 'B'.repeat(600_000);
      await produce('ret-big', 1, 1, () => null, () => big);
      await produce('ret-big', 1, 1, () => null, () => 'small');
      const msgs = await kcatConsume(node.bootstrap, 'ret-big', [
        '-X', 'message.max.bytes=1000',
        '-X', 'fetch.max.bytes=1024',
        '-X', 'fetch.message.max.bytes=1024',
        '-X', 'receive.message.max.bytes=4000000',
      ]);
      expect(msgs.map((m) => m.payload?.length)).toEqual([600_000, 5]);
    }));
});
