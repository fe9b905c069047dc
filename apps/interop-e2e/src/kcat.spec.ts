// kcat 1.7.1 (librdkafka 2.0.2) against a real node: the first thing many users try.
import { RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { python } from './support/python';
import { kcat, kcatConsume, kcatProduce } from './support/kcat';
import { describeRun } from './support/run';
import { sleep, startNode, withLogs } from './support/nodes';

let node: RunnelNode;

beforeAll(async () => {
  node = await startNode('kcat', { overrides: { 'num.partitions': 3 } });
});

afterAll(async () => {
  await node?.cleanup();
});

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';

describe('kcat', () => {
  it('lists the broker and an auto-created topic with kcat -L', () =>
    withLogs(node, async () => {
      const all = await kcat(node.bootstrap, ['-L', '-J']);
      expect(all.code).toBe(0);
      const md = JSON.parse(all.stdout);
      expect(md.brokers).toEqual([{ id: 1, name: node.bootstrap }]);
      expect(md.controllerid).toBe(1);

      await kcatProduce(node.bootstrap, 'kc-meta', 'hello\n');
      const one = await kcat(node.bootstrap, ['-L', '-J', '-t', 'kc-meta']);
      const topic = JSON.parse(one.stdout).topics.find((t: { topic: string }) => t.topic === 'kc-meta');
      expect(topic).toBeDefined();
      expect(topic.partitions).toHaveLength(3);
      for (const p of topic.partitions) {
        expect(p).toMatchObject({ leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] });
      }
    }));

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('produces and consumes %s-compressed batches', (codec) =>
    withLogs(node, async () => {
      const topic = `kc-${codec}`;
      const input = lines(500, (i) => `${codec}-value-${i}-${'x'.repeat(i % 50)}`);
      await kcatProduce(node.bootstrap, topic, input, ['-z', codec, '-p', '0', '-X', 'linger.ms=100']);
      const msgs = await kcatConsume(node.bootstrap, topic, ['-p', '0']);
      expect(msgs.map((m) => m.payload)).toEqual(input.trimEnd().split('\n'));
      expect(msgs.map((m) => m.offset)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    }));

  it('round-trips keys and headers', () =>
    withLogs(node, async () => {
      const topic = 'kc-keys';
      await kcatProduce(node.bootstrap, topic, 'k1:v1\nk2:v2\nk1:v3\n', ['-K', ':', '-H', 'h1=a', '-H', 'h2=', '-p', '1']);
      const msgs = await kcatConsume(node.bootstrap, topic, ['-p', '1']);
      expect(msgs.map((m) => [m.key, m.payload])).toEqual([
        ['k1', 'v1'],
        ['k2', 'v2'],
        ['k1', 'v3'],
      ]);
      for (const m of msgs) expect(m.headers).toEqual(['h1', 'a', 'h2', '']);
      // Keys without a delimiter have no key.
      await kcatProduce(node.bootstrap, topic, 'novalue-key\n', ['-K', ':', '-p', '1']);
      const again = await kcatConsume(node.bootstrap, topic, ['-p', '1']);
      expect(again[3]).toMatchObject({ key: null, payload: 'novalue-key' });
    }));

  it('answers offset queries by time (kcat -Q)', () =>
    withLogs(node, async () => {
      const topic = 'kc-time';
      const t0 = Date.now();
      await kcatProduce(node.bootstrap, topic, lines(10, (i) => `a${i}`), ['-p', '0']);
      await sleep(100);
      const middle = Date.now();
      await sleep(100);
      await kcatProduce(node.bootstrap, topic, lines(10, (i) => `b${i}`), ['-p', '0']);
      const t1 = Date.now();

      const msgs = await kcatConsume(node.bootstrap, topic, ['-p', '0']);
      expect(msgs).toHaveLength(20);
      for (const m of msgs) {
        expect(m.tstype).toBe('create');
        expect(m.ts).toBeGreaterThanOrEqual(t0 - 1000);
        expect(m.ts).toBeLessThanOrEqual(t1 + 1000);
      }
      const query = async (ts: number) => {
        const r = await kcat(node.bootstrap, ['-Q', '-t', `${topic}:0:${ts}`]);
        const m = /\[0\]\s+offset\s+(-?\d+)/.exec(r.stdout);
        if (r.code !== 0 || !m) throw new Error(describeRun(`kcat -Q ${topic}:0:${ts}`, r));
        return Number(m[1]);
      };
      expect(await query(middle)).toBe(10);
      expect(await query(msgs[0].ts)).toBe(0);
      expect(await query(msgs[15].ts)).toBeLessThanOrEqual(15);
      expect(await query(msgs[15].ts)).toBeGreaterThanOrEqual(10);
      expect(await query(t1 + 3_600_000)).toBe(-1);
    }));

  it('stamps LogAppendTime topics with broker time and keeps CRCs valid (compressed and not)', () =>
    withLogs(node, async () => {
      const topic = 'kc-logappend';
      const admin = kafkajs(node.bootstrap, 'kcat-e2e-admin').kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }], waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
      const t0 = Date.now();
      await kcatProduce(node.bootstrap, topic, lines(50, (i) => `plain-${i}`), ['-p', '0']);
      await kcatProduce(node.bootstrap, topic, lines(50, (i) => `gz-${i}`), ['-p', '0', '-z', 'gzip', '-X', 'linger.ms=50']);
      const t1 = Date.now();
      // librdkafka with check.crcs=true rejects a batch whose CRC wasn't recomputed after the timestamp rewrite.
      const msgs = await kcatConsume(node.bootstrap, topic, ['-p', '0', '-X', 'check.crcs=true']);
      expect(msgs).toHaveLength(100);
      for (const m of msgs) {
        expect(m.tstype).toBe('logappend');
        expect(m.ts).toBeGreaterThanOrEqual(t0 - 50);
        expect(m.ts).toBeLessThanOrEqual(t1 + 50);
      }
      // kafka-python verifies CRCs by default.
      const kp = await python<{ records: Array<{ value: string; timestamp: number; timestamp_type: number }>; end: number }>('kp_client.py', {
        mode: 'consume',
        bootstrap: node.bootstrap,
        topic,
      });
      expect(kp.end).toBe(100);
      expect(kp.records.map((r) => r.value)).toEqual(msgs.map((m) => m.payload));
      expect(new Set(kp.records.map((r) => r.timestamp_type))).toEqual(new Set([1]));
    }));

  it('wakes a waiting consumer as soon as a record is appended (long-poll fetch)', () =>
    withLogs(node, async () => {
      const topic = 'kc-longpoll';
      await kcatProduce(node.bootstrap, topic, 'first\n', ['-p', '0']);
      // A consumer at the end of the partition, waiting up to 10 s per fetch, stopping after one record.
      const waiting = kcat(node.bootstrap, ['-C', '-t', topic, '-p', '0', '-o', 'end', '-c', '1', '-J', '-X', 'fetch.wait.max.ms=10000'], { timeoutMs: 30_000 });
      await sleep(1500);
      const t0 = Date.now();
      await kcatProduce(node.bootstrap, topic, 'second\n', ['-p', '0']);
      const r = await waiting;
      const latency = Date.now() - t0;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ offset: 1, payload: 'second' });
      expect(latency).toBeLessThan(3000);
    }));

  it('round-trips 100k keyed records in order per key', () =>
    withLogs(node, async () => {
      const topic = 'kc-100k';
      const n = 100_000;
      const keys = 37;
      const seq = new Array<number>(keys).fill(0);
      const input = lines(n, (i) => {
        const k = i % keys;
        return `key${k}:key${k}-${seq[k]++}`;
      });
      const t0 = Date.now();
      await kcatProduce(node.bootstrap, topic, input, ['-K', ':', '-X', 'linger.ms=20', '-z', 'lz4'], 120_000);
      const produceMs = Date.now() - t0;
      const msgs = await kcatConsume(node.bootstrap, topic, [], 120_000);
      const consumeMs = Date.now() - t0 - produceMs;
      expect(msgs).toHaveLength(n);
      // Check every record without an expect() per record (100k expects take half a minute).
      const next = new Map<string, number>();
      const partitionOf = new Map<string, number>();
      const nextOffset = new Map<number, number>();
      const problems: string[] = [];
      for (const m of msgs) {
        const key = m.key!;
        const expected = next.get(key) ?? 0;
        if (m.payload !== `${key}-${expected}`) problems.push(`${m.partition}/${m.offset}: got ${m.payload}, expected ${key}-${expected}`);
        next.set(key, expected + 1);
        if (!partitionOf.has(key)) partitionOf.set(key, m.partition);
        if (m.partition !== partitionOf.get(key)) problems.push(`key ${key} on partitions ${partitionOf.get(key)} and ${m.partition}`);
        if (m.offset !== (nextOffset.get(m.partition) ?? 0)) problems.push(`partition ${m.partition}: offset ${m.offset} after ${(nextOffset.get(m.partition) ?? 0) - 1}`);
        nextOffset.set(m.partition, m.offset + 1);
      }
      expect(problems.slice(0, 20)).toEqual([]);
      expect(next.size).toBe(keys);
      expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
      process.stderr.write(`[kcat 100k] produce ${produceMs} ms, consume ${consumeMs} ms\n`);
    }));
});
