// Consumer groups and committed offsets with real clients against a real node (npm start's dist/ build):
// kafkajs members joining and leaving under load and resuming after a restart, librdkafka (confluent-kafka-python,
// kcat -G) with the range and cooperative-sticky assignors, kafka-python's older protocol versions and
// group-less commits, a SIGKILLed member expiring, __consumer_offsets in Kafka's record format, group metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { KafkaConnection } from '@runnel/client';
import { RunnelCluster, RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { kcat, kcatProduce } from './support/kcat';
import { eventually, sleep, startNode, withLogs } from './support/nodes';
import { PYTHON, python } from './support/python';

let node: RunnelNode;
let kafka: Kafka;

beforeAll(async () => {
  // A short initial delay keeps the suite quick while still exercising group.initial.rebalance.delay.ms.
  node = await startNode('groups', { overrides: { 'group.initial.rebalance.delay.ms': 300, 'metrics.group.partition.level': true } });
  ({ kafka } = kafkajs(node.bootstrap, 'runnel-e2e-groups'));
});

afterAll(async () => {
  await node?.cleanup();
});

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

const consumerOpts = (groupId: string) => ({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 20_000, maxWaitTimeInMs: 250 });

describe('kafkajs consumer groups', () => {
  it('three members join and leave one at a time while a producer runs; every record is consumed', () =>
    withLogs(node, async () => {
      await createTopic('grp-kj-load', 3);
      const producer = kafka.producer();
      await producer.connect();
      const seen = new Map<string, number>();
      let produced = 0;
      let producing = true;
      const loop = (async () => {
        while (producing) {
          await producer.send({ topic: 'grp-kj-load', messages: Array.from({ length: 10 }, () => ({ key: `k${produced % 11}`, value: `v${produced++}` })) });
          await sleep(40);
        }
      })();
      const onMessage = async ({ message }: EachMessagePayload) => {
        const v = message.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
      };
      const consumers: Consumer[] = [];
      for (let i = 0; i < 3; i++) {
        const c = kafka.consumer(consumerOpts('grp-kj-load'));
        await c.connect();
        await c.subscribe({ topic: 'grp-kj-load', fromBeginning: true });
        await c.run({ eachMessage: onMessage, autoCommitInterval: 300 });
        consumers.push(c);
        await sleep(1_200);
      }
      const admin = kafka.admin();
      await admin.connect();
      const three = await admin.describeGroups(['grp-kj-load']);
      expect(three.groups[0]).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
      expect(three.groups[0].members).toHaveLength(3);
      for (const c of consumers.splice(0, 2)) {
        await c.disconnect();
        await sleep(1_200);
      }
      producing = false;
      await loop;
      await eventually(async () => seen.size === produced, 30_000);
      const redelivered = [...seen.values()].filter((n) => n > 1).length;
      expect(redelivered).toBeLessThan(produced / 2);
      const one = await admin.describeGroups(['grp-kj-load']);
      expect(one.groups[0].members).toHaveLength(1);
      await consumers[0].disconnect();
      const offsets = await admin.fetchOffsets({ groupId: 'grp-kj-load', topics: ['grp-kj-load'] });
      const committed = offsets[0].partitions.reduce((a, p) => a + Number(p.offset), 0);
      expect(committed).toBe(produced);
      await admin.disconnect();
      await producer.disconnect();
    }));

  it('a restarted consumer resumes from the committed offsets', () =>
    withLogs(node, async () => {
      await createTopic('grp-kj-resume', 2);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'grp-kj-resume', messages: Array.from({ length: 40 }, (_, i) => ({ value: `a${i}`, partition: i % 2 })) });
      const first: string[] = [];
      const c1 = kafka.consumer(consumerOpts('grp-kj-resume'));
      await c1.connect();
      await c1.subscribe({ topic: 'grp-kj-resume', fromBeginning: true });
      await c1.run({ eachMessage: async ({ message }) => void first.push(message.value!.toString()) });
      await eventually(async () => first.length === 40, 20_000);
      await c1.disconnect();
      await producer.send({ topic: 'grp-kj-resume', messages: Array.from({ length: 6 }, (_, i) => ({ value: `b${i}`, partition: i % 2 })) });
      const second: string[] = [];
      const c2 = kafka.consumer(consumerOpts('grp-kj-resume'));
      await c2.connect();
      await c2.subscribe({ topic: 'grp-kj-resume', fromBeginning: true });
      await c2.run({ eachMessage: async ({ message }) => void second.push(message.value!.toString()) });
      await eventually(async () => second.length >= 6, 20_000);
      await sleep(1_000);
      expect(second.sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
      await c2.disconnect();
      await producer.disconnect();
    }));
  it('eachBatch, pause/resume, seek, and the admin calls kafkajs makes for groups', () =>
    withLogs(node, async () => {
      await createTopic('grp-kj-admin', 1);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'grp-kj-admin', messages: Array.from({ length: 10 }, (_, i) => ({ value: `a${i}` })) });
      const got: string[] = [];
      const c = kafka.consumer(consumerOpts('grp-kj-admin'));
      await c.connect();
      await c.subscribe({ topic: 'grp-kj-admin', fromBeginning: true });
      await c.run({
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          for (const m of batch.messages) {
            got.push(m.value!.toString());
            resolveOffset(m.offset);
          }
          await heartbeat();
        },
      });
      await eventually(async () => got.length === 10, 20_000);
      c.pause([{ topic: 'grp-kj-admin' }]);
      await producer.send({ topic: 'grp-kj-admin', messages: [{ value: 'while-paused' }] });
      await sleep(1_000);
      expect(got).toHaveLength(10);
      c.resume([{ topic: 'grp-kj-admin' }]);
      await eventually(async () => got.length === 11, 10_000);
      c.seek({ topic: 'grp-kj-admin', partition: 0, offset: '5' });
      await eventually(async () => got.length === 17, 10_000);
      expect(got.slice(11)).toEqual(['a5', 'a6', 'a7', 'a8', 'a9', 'while-paused']);
      const admin = kafka.admin();
      await admin.connect();
      const d = await admin.describeGroups(['grp-kj-admin']);
      expect(d.groups[0]).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(d.groups[0].members[0].clientId).toBe('runnel-e2e-groups');
      await c.disconnect();
      await eventually(async () => Number((await admin.fetchOffsets({ groupId: 'grp-kj-admin', topics: ['grp-kj-admin'] }))[0].partitions[0].offset) === 11);
      expect((await admin.describeGroups(['grp-kj-admin'])).groups[0].state).toBe('Empty');
      // Offsets can be reset while the group is empty, then the group deleted.
      await admin.setOffsets({ groupId: 'grp-kj-admin', topic: 'grp-kj-admin', partitions: [{ partition: 0, offset: '3' }] });
      expect((await admin.fetchOffsets({ groupId: 'grp-kj-admin', topics: ['grp-kj-admin'] }))[0].partitions[0].offset).toBe('3');
      await admin.deleteGroups(['grp-kj-admin']);
      expect((await admin.fetchOffsets({ groupId: 'grp-kj-admin', topics: ['grp-kj-admin'] }))[0].partitions[0].offset).toBe('-1');
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('grp-kj-admin');
      await admin.disconnect();
      await producer.disconnect();
    }));
});

describe('librdkafka consumer groups', () => {
  it('confluent-kafka-python with the range assignor: manual commits, committed(), list_groups()', () =>
    withLogs(node, async () => {
      await createTopic('grp-ck-range', 3);
      const r = await python<any>('groups_ck.py', { bootstrap: node.bootstrap, topic: 'grp-ck-range', group: 'grp-ck-range', count: 300, strategy: 'range' }, 150_000);
      expect(r.unique).toBe(300);
      expect(r.committed).toEqual({ '0': 100, '1': 100, '2': 100 });
      expect(r.groups).toEqual([{ id: 'grp-ck-range', state: 'Stable', protocol_type: 'consumer', protocol: 'range', members: 2 }]);
      // The second member got partitions, and m1 got all three back after it left.
      expect(r.events.some((e: any[]) => e[0] === 'm2' && e[1] === 'assign' && e[2].length > 0)).toBe(true);
      expect(r.m1_final).toEqual([0, 1, 2]);
      expect(r.after_restart).toBe(0);
    }));

  it('confluent-kafka-python with cooperative-sticky: incremental rebalances and auto commits', () =>
    withLogs(node, async () => {
      await createTopic('grp-ck-coop', 3);
      const r = await python<any>('groups_ck.py', { bootstrap: node.bootstrap, topic: 'grp-ck-coop', group: 'grp-ck-coop', count: 300, strategy: 'cooperative-sticky' }, 150_000);
      expect(r.unique).toBe(300);
      expect(r.committed).toEqual({ '0': 100, '1': 100, '2': 100 });
      expect(r.groups[0]).toMatchObject({ protocol: 'cooperative-sticky', members: 2 });
      // Incremental: when m2 joined, m1 gave up only part of its partitions, never all of them.
      const m1Revokes = r.events.filter((e: any[]) => e[0] === 'm1' && e[1] === 'revoke');
      expect(m1Revokes[0][2].length).toBeLessThan(3);
      expect(r.m1_final).toEqual([0, 1, 2]);
      expect(r.after_restart).toBe(0);
    }));

  it('kcat -G consumes as a group member and commits', () =>
    withLogs(node, async () => {
      await createTopic('grp-kcat', 2);
      await kcatProduce(node.bootstrap, 'grp-kcat', Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n') + '\n');
      const args = ['-G', 'grp-kcat-group', 'grp-kcat', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\n'];
      const first = await kcat(node.bootstrap, args, { timeoutMs: 60_000 });
      expect(first.stdout.trim().split('\n').sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await eventually(async () => {
        const o = await admin.fetchOffsets({ groupId: 'grp-kcat-group', topics: ['grp-kcat'] });
        const sum = o[0].partitions.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
        return sum === 20 ? o : undefined;
      }, 15_000);
      expect(offsets[0].partitions).toHaveLength(2);
      await admin.disconnect();
      await kcatProduce(node.bootstrap, 'grp-kcat', 'late\n');
      const second = await kcat(node.bootstrap, args, { timeoutMs: 60_000 });
      expect(second.stdout.trim()).toBe('late');
    }));
});

describe('kafka-python consumer groups', () => {
  it('joins with JoinGroup v2, commits with v2, and commits outside a group with generation -1', () =>
    withLogs(node, async () => {
      await createTopic('grp-kp', 3);
      const r = await python<any>('groups_kp.py', { bootstrap: node.bootstrap, topic: 'grp-kp', group: 'grp-kp', count: 60 });
      expect(r.seen).toBe(60);
      expect(r.pair_seen).toBe(60);
      // Two kafka-python members split the three partitions between them.
      expect([...r.pair_assignments[0], ...r.pair_assignments[1]].sort()).toEqual([0, 1, 2]);
      expect(r.pair_assignments[0].length).toBeGreaterThan(0);
      expect(r.pair_assignments[1].length).toBeGreaterThan(0);
      expect(r.committed).toEqual({ '0': 20, '1': 20, '2': 20 });
      expect(r.assignment).toEqual([0, 1, 2]);
      expect(r.simple_committed).toBe(7);
      expect(r.listed).toEqual([
        ['grp-kp', 'consumer'],
        ['grp-kp-simple', ''],
      ]);
      expect(r.described_state).toBe('Empty');
      expect(r.admin_offsets).toEqual({ '0': 20, '1': 20, '2': 20 });
    }));
});

describe('NestJS Kafka transport (apps/nestjs-example)', () => {
  const repo = path.resolve(__dirname, '../../..');
  const runExample = (file: string, args: string[] = []): ChildProcess =>
    spawn(process.execPath, ['-r', './tools/runtime/paths.js', `dist/apps/nestjs-example/src/${file}`, ...args], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KAFKA_BROKERS: node.bootstrap },
    });
  const collect = (child: ChildProcess): (() => string) => {
    let out = '';
    child.stdout!.on('data', (d) => (out += d.toString()));
    child.stderr!.on('data', (d) => (out += d.toString()));
    return () => out;
  };
  const exit = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  it('@MessagePattern answers ClientKafka.send() through reply topics; @EventPattern receives emit()', () =>
    withLogs(node, async () => {
      const server = runExample('main.js');
      const serverOut = collect(server);
      try {
        await eventually(async () => serverOut().includes('{"ready":true}'), 60_000);
        for (const [args, sum] of [
          [['1', '2', '3'], 6],
          [['10', '20'], 30],
        ] as const) {
          const client = runExample('client.js', [...args]);
          const clientOut = collect(client);
          const code = await exit(client);
          expect({ code, out: clientOut().split('\n').filter((l) => l.startsWith('{')) }).toEqual({ code: 0, out: [JSON.stringify({ result: { sum } })] });
        }
        await eventually(async () => (serverOut().match(/"event":"user.created"/g) ?? []).length === 2, 20_000);
        // The client's group used Nest's reply-partition assigner; the server's group the default kafkajs one.
        const admin = kafka.admin();
        await admin.connect();
        const d = await admin.describeGroups(['math-server']);
        expect(d.groups[0]).toMatchObject({ state: 'Stable', protocol: 'RoundRobinAssigner' });
        const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
        expect(groups).toEqual(expect.arrayContaining(['math-server', 'math-client-client']));
        await admin.disconnect();
      } finally {
        server.kill('SIGTERM');
        await Promise.race([exit(server), sleep(10_000)]);
        server.kill('SIGKILL');
        server.stdout?.destroy();
        server.stderr?.destroy();
      }
    }));
});

describe('coordinator behaviour', () => {
  it('a SIGKILLed member is removed after its session timeout and its partitions move', () =>
    withLogs(node, async () => {
      await createTopic('grp-kill', 4);
      // Two librdkafka members (kafkajs's RoundRobinAssigner would not share a protocol with them).
      const script = path.join(__dirname, 'python', 'groups_ck_member.py');
      const start = (): { child: ChildProcess; out: () => string } => {
        const child = spawn(PYTHON, [script, JSON.stringify({ bootstrap: node.bootstrap, topic: 'grp-kill', group: 'grp-kill', session_timeout_ms: 6000 })], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, PYTHONUNBUFFERED: '1' },
        });
        let out = '';
        child.stdout!.on('data', (d) => (out += d.toString()));
        return { child, out: () => out };
      };
      const lastAssignment = (out: string): number[] | null => {
        const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
        return lines.length ? (JSON.parse(lines[lines.length - 1]).assigned as number[]) : null;
      };
      const a = start();
      let b: ReturnType<typeof start> | null = null;
      try {
        await eventually(async () => lastAssignment(a.out())?.length === 4, 30_000);
        b = start();
        await eventually(async () => lastAssignment(a.out())?.length === 2 && lastAssignment(b!.out())?.length === 2, 30_000);
        const killedAt = Date.now();
        a.child.kill('SIGKILL');
        await eventually(async () => lastAssignment(b!.out())?.length === 4, 30_000);
        // No LeaveGroup was sent, so only the 6 s session timeout can have removed it.
        expect(Date.now() - killedAt).toBeGreaterThanOrEqual(5_000);
        const admin = kafka.admin();
        await admin.connect();
        const d = await admin.describeGroups(['grp-kill']);
        expect(d.groups[0].members).toHaveLength(1);
        await admin.disconnect();
      } finally {
        a.child.kill('SIGKILL');
        b?.child.kill('SIGKILL');
      }
    }));

  it('static membership: a restarted member with the same group.instance.id takes its partitions back without a rebalance', () =>
    withLogs(node, async () => {
      await createTopic('grp-static', 4);
      const script = path.join(__dirname, 'python', 'groups_ck_member.py');
      const start = (instance: string): { child: ChildProcess; last: () => number[] | null } => {
        const child = spawn(PYTHON, [script, JSON.stringify({ bootstrap: node.bootstrap, topic: 'grp-static', group: 'grp-static', instance_id: instance, session_timeout_ms: 10000 })], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, PYTHONUNBUFFERED: '1' },
        });
        let out = '';
        child.stdout!.on('data', (d) => (out += d.toString()));
        const last = (): number[] | null => {
          const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
          return lines.length ? (JSON.parse(lines[lines.length - 1]).assigned as number[]) : null;
        };
        return { child, last };
      };
      const generation = async (): Promise<number> => {
        const m = /runnel_broker_group_generation\{[^}]*group="grp-static"[^}]*\} (\d+)/.exec(await node.metrics());
        return m ? Number(m[1]) : -1;
      };
      const a = start('static-a');
      let b: ReturnType<typeof start> | null = null;
      let a2: ReturnType<typeof start> | null = null;
      try {
        await eventually(async () => a.last()?.length === 4, 30_000);
        b = start('static-b');
        await eventually(async () => a.last()?.length === 2 && b!.last()?.length === 2, 30_000);
        const before = await generation();
        const aPartitions = a.last();
        a.child.kill('SIGKILL');
        a2 = start('static-a');
        await eventually(async () => a2!.last() !== null, 30_000);
        expect(a2.last()).toEqual(aPartitions);
        expect(b.last()?.length).toBe(2);
        expect(await generation()).toBe(before);
      } finally {
        for (const p of [a, b, a2]) p?.child.kill('SIGKILL');
      }
    }));

  it('__consumer_offsets holds Kafka-format records readable by external tools', () =>
    withLogs(node, async () => {
      const r = await python<any>('groups_offsets_topic.py', { bootstrap: node.bootstrap, group: 'grp-kp' });
      expect(r.partitions).toBe(50);
      expect(r.offsets['grp-kp-0']).toMatchObject({ offset: 20, metadata: '' });
      expect(r.group).toMatchObject({ protocol_type: 'consumer' });
      expect(r.versions).toEqual(expect.arrayContaining(['key1/offset-value3', 'key2/group-value3']));
      const admin = kafka.admin();
      await admin.connect();
      const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: '__consumer_offsets', configNames: ['cleanup.policy'] }], includeSynonyms: false });
      expect(cfg.resources[0].configEntries[0].configValue).toBe('compact');
      await admin.disconnect();
    }));

  it('exports runnel_broker_group_* metrics', () =>
    withLogs(node, async () => {
      const text = await node.metrics();
      expect(text).toMatch(/runnel_broker_groups\{[^}]*state="Empty"[^}]*\} \d+/);
      expect(text).toMatch(/runnel_broker_group_rebalances_total\{[^}]*group="grp-kj-load"[^}]*\} \d+/);
      expect(text).toMatch(/runnel_broker_group_offset_commit_duration_seconds_count(\{[^}]*\})? \d+/);
      expect(text).toMatch(/runnel_broker_group_committed_offset\{[^}]*group="grp-kp"[^}]*\} 20/);
      expect(text).toMatch(/runnel_broker_group_lag\{[^}]*group="grp-kp"[^}]*\} 0/);
    }));

  it('committed offsets and group metadata survive a restart (reloaded from __consumer_offsets)', () =>
    withLogs(node, async () => {
      const admin = kafka.admin();
      await admin.connect();
      const before = await admin.fetchOffsets({ groupId: 'grp-kj-resume', topics: ['grp-kj-resume'] });
      await admin.disconnect();
      await node.restart();
      const again = kafkajs(node.bootstrap, 'runnel-e2e-groups-2').kafka;
      const admin2 = again.admin();
      await admin2.connect();
      const after = await eventually(async () => {
        try {
          return await admin2.fetchOffsets({ groupId: 'grp-kj-resume', topics: ['grp-kj-resume'] });
        } catch {
          return undefined; // COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR while the node starts
        }
      }, 30_000);
      expect(after).toEqual(before);
      const groups = (await admin2.listGroups()).groups.map((g) => g.groupId);
      expect(groups).toEqual(expect.arrayContaining(['grp-kj-resume', 'grp-kp', 'grp-ck-range']));
      await admin2.disconnect();
      // A consumer of the group starts where the group left off: nothing old is re-read.
      const producer = again.producer();
      await producer.connect();
      await producer.send({ topic: 'grp-kj-resume', messages: [{ value: 'after-restart', partition: 0 }] });
      const got: string[] = [];
      const c = again.consumer(consumerOpts('grp-kj-resume'));
      await c.connect();
      await c.subscribe({ topic: 'grp-kj-resume', fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
      await eventually(async () => got.length >= 1, 20_000);
      await sleep(1_000);
      expect(got).toEqual(['after-restart']);
      await c.disconnect();
      await producer.disconnect();
    }));
});

describe('two brokers: each coordinates the groups whose offsets partition it leads', () => {
  let cluster: RunnelCluster;
  beforeAll(async () => {
    cluster = await RunnelCluster.start({ brokers: 2, namePrefix: 'groups', overrides: { 'group.initial.rebalance.delay.ms': 0 } });
  });
  afterAll(async () => {
    await cluster?.cleanup();
  });

  // Kafka's placement: abs(Java String.hashCode(group)) % offsets.topic.num.partitions.
  const partitionFor = (group: string): number => {
    let h = 0;
    for (let i = 0; i < group.length; i++) h = (Math.imul(31, h) + group.charCodeAt(i)) | 0;
    return (h === -2147483648 ? 0 : Math.abs(h)) % 50;
  };

  async function raw<T = any>(n: RunnelNode, apiKey: number, version: number, body: unknown): Promise<T> {
    const [host, port] = n.bootstrap.split(':');
    const conn = await KafkaConnection.connect({ host, port: Number(port), clientId: 'groups-e2e-raw' });
    try {
      return await conn.send<T>(apiKey, version, body);
    } finally {
      await conn.close();
    }
  }

  it('FindCoordinator, commits and ListGroups follow the __consumer_offsets leaders; NOT_COORDINATOR elsewhere', () =>
    withLogs(cluster.brokers[0], async () => {
      const { kafka: k } = kafkajs(cluster.brokers[0].bootstrap, 'groups-e2e-cluster');
      const admin = k.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'grp-mc', numPartitions: 2 }], waitForLeaders: true });
      // The first FindCoordinator creates __consumer_offsets; wait until every partition has a leader.
      await eventually(async () => {
        try {
          await admin.fetchOffsets({ groupId: 'probe', topics: ['grp-mc'] });
          const md = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
          return md.topics[0].partitions.length === 50 && md.topics[0].partitions.every((p) => p.leader >= 0);
        } catch {
          return false;
        }
      }, 30_000);
      const md = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
      const leaderOf = new Map(md.topics[0].partitions.map((p) => [p.partitionId, p.leader]));
      const ids = cluster.brokers.map((b) => b.nodeId);
      // One group coordinated by each broker.
      const groups = new Map<number, string>();
      for (let i = 0; groups.size < ids.length && i < 1000; i++) {
        const g = `grp-mc-${i}`;
        const leader = leaderOf.get(partitionFor(g))!;
        if (!groups.has(leader)) groups.set(leader, g);
      }
      expect([...groups.keys()].sort()).toEqual(ids.slice().sort());

      const producer = k.producer();
      await producer.connect();
      await producer.send({ topic: 'grp-mc', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })) });
      for (const [leader, groupId] of groups) {
        const fc = await raw(cluster.brokers[0], 10, 2, { key: groupId, keyType: 0 });
        expect(fc).toMatchObject({ errorCode: 0, nodeId: leader });
        const got: string[] = [];
        const c = k.consumer(consumerOpts(groupId));
        await c.connect();
        await c.subscribe({ topic: 'grp-mc', fromBeginning: true });
        await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
        await eventually(async () => got.length === 10, 30_000);
        await c.disconnect();
        const offsets = await admin.fetchOffsets({ groupId, topics: ['grp-mc'] });
        expect(offsets[0].partitions.map((p) => p.offset).sort()).toEqual(['5', '5']);
      }
      for (const b of cluster.brokers) {
        const listed = await raw(b, 16, 2, {});
        const own = listed.groups.map((g: any) => g.groupId).filter((g: string) => g.startsWith('grp-mc-'));
        expect(own).toEqual([groups.get(b.nodeId)]);
        const other = [...groups].find(([leader]) => leader !== b.nodeId)![1];
        const wrong = await raw(b, 9, 4, { groupId: other, topics: null });
        expect(wrong.errorCode).toBe(16); // NOT_COORDINATOR
      }
      await producer.disconnect();
      await admin.disconnect();
    }));
});

