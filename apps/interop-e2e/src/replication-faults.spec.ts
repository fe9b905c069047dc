// Replication under faults: 3 controllers (ids 1-3) + 3 brokers (ids 4-6) as real processes, every inter-node
// link behind a LinkProxy (cluster.network) so links can be cut while clients still reach every broker. Topics
// have replication factor 3 and min.insync.replicas=2; a kafkajs idempotent acks=all producer writes sequential
// integers (support/workload.ts) while nodes are killed, frozen, isolated and restarted, and every test prints
// its figures on one "[replication-faults]" line and checks: nothing acknowledged is lost, no duplicates, order
// kept per partition, no acks=all write acknowledged by a broker that can't have replicated it.
import * as fs from 'node:fs';
import { brokerMetadata, RunnelCluster, RunnelNode } from '@runnel/testing';
import { ErrorCode } from '@runnel/protocol';
import { KafkaConnection } from '@runnel/client';
import { Kafka, logLevel } from 'kafkajs';
import { kcatConsume, kcatProduce } from './support/kcat';
import { python } from './support/python';
import { eventually, sleep } from './support/nodes';
import { describeQuorum, findGroupCoordinator, metadataFrom, PartitionView, ProduceWorkload, rawProduce, RawProduceResult, report } from './support/workload';

jest.setTimeout(180_000);

const SESSION_TIMEOUT_MS = 3000;
const LAG_TIME_MAX_MS = 4000;

let cluster: RunnelCluster;
let kafka: Kafka;

const brokers = (): RunnelNode[] => cluster.brokers;
const controllers = (): RunnelNode[] => cluster.controllers;
const paused = new Set<number>();
const reachable = (n: RunnelNode): boolean => n.running && !paused.has(n.nodeId) && !cluster.net.blocked().some((l) => l.startsWith(`${n.nodeId}->`));

/** A broker view of the topic from a broker that is up and connected (or from `via`). */
async function partitions(topic: string, via?: RunnelNode): Promise<PartitionView[]> {
  const b = via ?? brokers().find(reachable);
  if (!b) throw new Error('no reachable broker');
  const md = await metadataFrom(b.kafkaPort, topic);
  if (md.errorCode !== 0) throw new Error(`metadata for ${topic} from ${b.nodeId}: error ${md.errorCode}`);
  return md.partitions;
}

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  await waitFullIsr(topic);
}

/** Every partition has all 3 replicas in its ISR (as the reachable brokers see it). */
async function waitFullIsr(topic: string, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  await eventually(async () => {
    for (const b of brokers().filter(reachable)) {
      const ps = await partitions(topic, b);
      if (ps.length === 0 || ps.some((p) => p.isr.length !== 3 || p.leader < 0)) return false;
    }
    return true;
  }, timeoutMs, 200);
  return Date.now() - t0;
}

/** Brings every node back: links healed, frozen nodes resumed, stopped nodes started, every broker unfenced in every broker's view. */
async function restoreCluster(): Promise<void> {
  cluster.heal();
  for (const n of cluster.nodes) n.resume();
  paused.clear();
  await Promise.all(cluster.nodes.filter((n) => !n.running).map((n) => n.start()));
  await eventually(async () => {
    for (const b of brokers()) if ((await brokerMetadata('127.0.0.1', b.kafkaPort, 1000)).brokers.length !== 3) return false;
    return true;
  }, 45_000, 200);
}

const ok = (r: RawProduceResult) => r.errorCode === 0;
const errName = (code: number | null) => (code === null ? 'none' : (Object.entries(ErrorCode).find(([, v]) => v === code)?.[0] ?? String(code)));

beforeAll(async () => {
  cluster = await RunnelCluster.start({
    controllers: 3,
    brokers: 3,
    proxied: true,
    namePrefix: 'rf',
    readyTimeoutMs: 60_000,
    overrides: {
      'broker.session.timeout.ms': SESSION_TIMEOUT_MS,
      'broker.heartbeat.interval.ms': 500,
      'replica.lag.time.max.ms': LAG_TIME_MAX_MS,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  kafka = new Kafka({ clientId: 'runnel-e2e-rf', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
}, 120_000);

afterEach(async () => {
  await restoreCluster();
});

afterAll(async () => {
  await cluster?.cleanup();
});

/** Appends the nodes' log tails to a failing test's message. */
async function withClusterLogs(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Error) {
      for (const n of cluster.nodes) e.message += `\n--- ${n.name} (${n.logPath}) ---\n${n.logTail(12)}`;
    }
    throw e;
  }
}

describe('replication faults (3 controllers + 3 brokers, RF 3, min.insync.replicas 2)', () => {
  it('kafkajs, kcat and confluent-kafka-python produce and consume; replication goes through the link proxies', () =>
    withClusterLogs(async () => {
      const topic = 'rf-interop';
      await createTopic(topic, 3);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let b = 0; b < 10; b++) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `js-${b * 30 + i}` })) });
      }
      await producer.disconnect();
      await kcatProduce(cluster.bootstrap, topic, Array.from({ length: 300 }, (_, i) => `kcat-${i}`).join('\n') + '\n', ['-X', 'acks=all']);
      const py = await python<{ delivered: number; errors: string[]; unflushed: number; read: number; distinct: number; missing: number }>('ck_replicated.py', {
        bootstrap: cluster.bootstrap,
        topic,
        partitions: 3,
        count: 300,
      });

      const consumer = kafka.consumer({ groupId: 'rf-interop-g', sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got = new Set<string>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`kafkajs consumed only ${got.size} of 900`)), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.add(message.value!.toString());
            if (got.size >= 900) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      const read = await kcatConsume(cluster.bootstrap, topic);
      // Every broker's log holds every record (replicated), checked on one partition's followers' offsets via the ISR.
      const ps = await partitions(topic);
      const stats = cluster.net.stats();
      const replicationFrom = brokers().map((b) => Object.keys(stats[`replication->${b.nodeId}`].accepted).sort().join('+'));
      console.log(
        `[replication-faults] interop: kafkajs consumed=${got.size} kcat read=${read.length} python=${JSON.stringify(py)} isr=${JSON.stringify(ps.map((p) => p.isr))} ` +
          `replication connections into 4,5,6 from=${JSON.stringify(replicationFrom)}`,
      );
      expect(py).toMatchObject({ delivered: 300, errors: [], unflushed: 0, missing: 0 });
      expect(py.read).toBeGreaterThanOrEqual(900);
      expect(got.size).toBe(900);
      expect(read).toHaveLength(900);
      expect(new Set(read.map((m) => m.payload)).size).toBe(900);
      for (const p of ps) expect(p.isr).toEqual([4, 5, 6]);
      // Followers fetch through the proxies: each broker's replication proxy saw the two others.
      expect(replicationFrom).toEqual(['5+6', '4+6', '4+5']);
    }));

  it('kill -9 the leader under an idempotent acks=all producer: nothing acked lost, no duplicates, order kept', () =>
    withClusterLogs(async () => {
      const topic = 'rf-kill-leader';
      await createTopic(topic, 3);
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 3 });
      await w.start();
      await w.progress(150);
      const before = await partitions(topic);
      const victim = cluster.node(before[0].leader);
      const t = Date.now();
      await victim.kill();
      const metadataMs = await eventually(async () => {
        const p = (await partitions(topic))[0];
        return p.leader >= 0 && p.leader !== victim.nodeId ? Date.now() - t : false;
      }, 20_000, 50);
      const newLeaderAckMs = await w.ackedAfter(t, 0, 60_000);
      await w.progress(150);
      await victim.start();
      const rejoinMs = await waitFullIsr(topic, 30_000);
      await w.progress(100);
      const f = await w.verify();
      report('kill -9 leader', f, { victim: victim.nodeId, newLeaderInMetadataMs: metadataMs, firstAckOnItsPartitionMs: newLeaderAckMs, rejoinIsrMs: rejoinMs });
      expect(f.acked).toBeGreaterThan(350);
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.outOfOrder).toBe(0);
      expect(newLeaderAckMs).toBeLessThan(45_000);
    }));

  it('two of three replicas down: acks=all is refused with NOT_ENOUGH_REPLICAS and nothing refused is stored', () =>
    withClusterLogs(async () => {
      const topic = 'rf-min-isr';
      await createTopic(topic, 1);
      const producer = kafka.producer({ retry: { retries: 2, initialRetryTime: 100 } });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `ok-${i}` })) });
      const leader = cluster.node((await partitions(topic))[0].leader);
      const followers = brokers().filter((b) => b !== leader);
      const t = Date.now();
      await Promise.all(followers.map((f) => f.kill()));
      const shrinkMs = await eventually(async () => ((await partitions(topic, leader))[0].isr.join() === String(leader.nodeId) ? Date.now() - t : false), 30_000, 100);

      const raw: RawProduceResult[] = [];
      for (let i = 0; i < 5; i++) raw.push(await rawProduce('127.0.0.1', leader.kafkaPort, topic, 0, `refused-raw-${i}`, { timeoutMs: 3000 }));
      let kafkajsError: any = null;
      try {
        await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'refused-kafkajs' }] });
      } catch (e) {
        kafkajsError = e;
      }
      await producer.disconnect();
      const chain: string[] = [];
      for (let e = kafkajsError; e; e = e.cause ?? e.originalError) chain.push(`${e.name}${e.type ? `(${e.type})` : ''}`);
      // acks=1 is still served below min.insync.replicas (as in Kafka).
      const acks1 = await rawProduce('127.0.0.1', leader.kafkaPort, topic, 0, 'acks1', { acks: 1 });
      const read = (await kcatConsume(leader.bootstrap, topic)).map((m) => m.payload);
      console.log(
        `[replication-faults] two replicas down: leader=${leader.nodeId} isrShrinkMs=${shrinkMs} raw acks=all errors=${JSON.stringify(raw.map((r) => errName(r.errorCode)))} ` +
          `kafkajs=${JSON.stringify(chain)} acks=1=${errName(acks1.errorCode)} read=${read.length}`,
      );
      expect(raw.map((r) => r.errorCode)).toEqual(raw.map(() => ErrorCode.NOT_ENOUGH_REPLICAS));
      expect(chain.join(' ')).toMatch(/NOT_ENOUGH_REPLICAS/);
      expect(read.filter((v) => v?.startsWith('refused'))).toEqual([]);
      expect(read.filter((v) => v?.startsWith('ok-'))).toHaveLength(10);
      // The acks=1 record is appended but, with the ISR below min.insync.replicas, the high watermark stays put
      // (Kafka 3.7+, KIP-966): not visible until the ISR recovers.
      expect(acks1.errorCode).toBe(0);
      expect(read).not.toContain('acks1');

      await Promise.all(followers.map((f) => f.start()));
      await waitFullIsr(topic);
      expect(errName((await rawProduce('127.0.0.1', leader.kafkaPort, topic, 0, 'after', { timeoutMs: 10_000 })).errorCode)).toBe('NONE');
      const readAfter = (await kcatConsume(cluster.bootstrap, topic)).map((m) => m.payload);
      expect(readAfter.filter((v) => !v?.startsWith('ok-'))).toEqual(['acks1', 'after']);
    }));

  it('kill -9 and restart brokers repeatedly under load: nothing acked lost, each restarted broker rejoins the ISR', () =>
    withClusterLogs(async () => {
      const topic = 'rf-churn';
      await createTopic(topic, 3);
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 3 });
      await w.start();
      const rounds: Array<{ victim: number; downMs: number; rejoinMs: number }> = [];
      for (let round = 0; round < 3; round++) {
        await w.progress(100, 60_000);
        const victim = cluster.node((await partitions(topic))[round % 3].leader);
        const t = Date.now();
        await victim.kill();
        await w.ackedAfter(t, undefined, 60_000);
        await sleep(1000);
        await victim.start();
        const downMs = Date.now() - t;
        const rejoinMs = await waitFullIsr(topic, 40_000);
        rounds.push({ victim: victim.nodeId, downMs, rejoinMs });
      }
      await w.progress(100, 60_000);
      const f = await w.verify();
      report('kill -9 + restart x3', f, { rounds });
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.outOfOrder).toBe(0);
      expect(rounds).toHaveLength(3);
    }));

  it('a leader frozen (SIGSTOP) past the session timeout is fenced, leadership moves, and after SIGCONT it acknowledges no acks=all write', () =>
    withClusterLogs(async () => {
      const topic = 'rf-freeze';
      await createTopic(topic, 1);
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 1 });
      await w.start();
      await w.progress(100);
      const before = (await partitions(topic))[0];
      const victim = cluster.node(before.leader);
      // Open a connection before freezing: the kernel accepts it and queues what we write while the process is stopped.
      const queued = await KafkaConnection.connect({ host: '127.0.0.1', port: victim.kafkaPort, clientId: 'runnel-e2e-stale' });
      const t = Date.now();
      victim.pause();
      paused.add(victim.nodeId);
      const moved = await eventually(async () => {
        const md = await metadataFrom(brokers().find((b) => b !== victim)!.kafkaPort, topic);
        const p = md.partitions[0];
        return p.leader >= 0 && p.leader !== victim.nodeId && p.leaderEpoch > before.leaderEpoch ? { ms: Date.now() - t, md } : false;
      }, 30_000, 100);
      await sleep(SESSION_TIMEOUT_MS);
      // Written while it is frozen, answered (if at all) once it wakes with its stale view of the partition.
      const stale: Array<Promise<RawProduceResult>> = [rawProduce('127.0.0.1', victim.kafkaPort, topic, 0, 'stale-queued', { conn: queued, timeoutMs: 5000 })];
      await sleep(100);
      victim.resume();
      paused.delete(victim.nodeId);
      for (let i = 0; i < 8; i++) {
        stale.push(rawProduce('127.0.0.1', victim.kafkaPort, topic, 0, `stale-${i}`, { timeoutMs: 3000 }));
        await sleep(250);
      }
      const results = await Promise.all(stale);
      await queued.close().catch(() => undefined);
      const newLeaderAckMs = await w.ackedAfter(t, 0, 60_000);
      const rejoinMs = await waitFullIsr(topic, 40_000);
      await w.progress(50);
      const f = await w.verify();
      const read = (await kcatConsume(cluster.bootstrap, topic)).map((m) => m.payload);
      report('SIGSTOP leader', f, {
        victim: victim.nodeId,
        fencedAndMovedMs: moved.ms,
        brokersInMetadata: moved.md.brokers,
        firstAckAfterFreezeMs: newLeaderAckMs,
        staleAnswers: results.map((r) => errName(r.errorCode) + (r.transportError ? '/transport' : '')),
        rejoinIsrMs: rejoinMs,
      });
      expect(moved.md.brokers).not.toContain(victim.nodeId);
      expect(results.filter(ok)).toEqual([]);
      expect(read.filter((v) => v?.startsWith('stale'))).toEqual([]);
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.outOfOrder).toBe(0);
    }));

  it('a leader cut off from the other brokers and the controllers (clients still reach it) acknowledges no acks=all write; nothing acked is lost after healing', () =>
    withClusterLogs(async () => {
      const topic = 'rf-isolate';
      await createTopic(topic, 3);
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 3 });
      await w.start();
      await w.progress(150);
      const before = await partitions(topic);
      const victim = cluster.node(before[0].leader);
      const led = before.filter((p) => p.leader === victim.nodeId).map((p) => p.partition);
      const t = Date.now();
      cluster.isolate(victim.nodeId);
      const direct: RawProduceResult[] = [];
      let moved: { ms: number; leaders: number[] } | null = null;
      // Write straight to the isolated broker for a while (past fencing and the leader moving elsewhere).
      while (Date.now() - t < 4 * SESSION_TIMEOUT_MS) {
        const batch = await Promise.all(led.map((p) => rawProduce('127.0.0.1', victim.kafkaPort, topic, p, `isolated-${p}-${Date.now()}`, { timeoutMs: 2000 })));
        direct.push(...batch);
        if (!moved) {
          const now = await partitions(topic, brokers().find((b) => b !== victim)!);
          if (led.every((p) => now[p].leader >= 0 && now[p].leader !== victim.nodeId)) moved = { ms: Date.now() - t, leaders: now.map((p) => p.leader) };
        }
      }
      const victimView = await partitions(topic, victim);
      const ackedWhileIsolated = w.acks.filter((a) => a.at > t).length;
      cluster.heal();
      const rejoinMs = await waitFullIsr(topic, 40_000);
      await w.progress(100, 60_000);
      const f = await w.verify();
      const read = (await kcatConsume(cluster.bootstrap, topic)).map((m) => m.payload);
      report('isolated leader', f, {
        victim: victim.nodeId,
        itLed: led,
        leaderMovedMs: moved?.ms ?? 'never',
        leadersAfter: moved?.leaders ?? [],
        isolatedBrokerView: victimView.map((p) => `${p.partition}:leader=${p.leader},isr=${p.isr.join('+')}`),
        directWrites: direct.length,
        directAnswers: [...new Set(direct.map((r) => errName(r.errorCode) + (r.transportError ? '/transport' : '')))],
        ackedWhileIsolated,
        rejoinIsrMs: rejoinMs,
      });
      expect(direct.length).toBeGreaterThan(0);
      expect(direct.filter(ok)).toEqual([]);
      expect(read.filter((v) => v?.startsWith('isolated'))).toEqual([]);
      expect(moved).not.toBeNull();
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.outOfOrder).toBe(0);
    }));

  it('kill -9 the active controller: a new one is elected, metadata unchanged, no broker fenced; with two of three down nothing commits', () =>
    withClusterLogs(async () => {
      const topic = 'rf-controllers';
      await createTopic(topic, 3);
      const activeNow = async (exclude: RunnelNode[] = [], minEpoch = -1) => {
        for (const c of controllers().filter((x) => x.running && !exclude.includes(x))) {
          const q = await describeQuorum(c.controllerPort);
          if (q && q.errorCode === 0 && q.leaderId === c.nodeId && q.leaderEpoch > minEpoch) return { node: c, epoch: q.leaderEpoch };
        }
        return null;
      };
      const first = await eventually(() => activeNow(), 15_000, 100);
      const before = await partitions(topic);

      // Watch for any broker dropping out of Metadata (= fenced) while the controllers change.
      const fencedSeen = new Set<number>();
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          for (const b of brokers()) {
            const md = await brokerMetadata('127.0.0.1', b.kafkaPort, 1000).catch(() => null);
            if (md) for (const id of [4, 5, 6]) if (!md.brokers.some((x) => x.nodeId === id)) fencedSeen.add(id);
          }
          await sleep(100);
        }
      })();
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 3 });
      await w.start();
      await w.progress(50);

      const t = Date.now();
      await first.node.kill();
      const second = await eventually(() => activeNow([first.node], first.epoch), 30_000, 50);
      const electionMs = Date.now() - t;
      await sleep(2 * SESSION_TIMEOUT_MS); // long enough for a broker whose heartbeats were lost to be fenced
      const after = await partitions(topic);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'rf-controllers-created', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
      await first.node.start();

      // Two of three down: no quorum, so no metadata change can commit.
      const others = controllers().filter((c) => c !== second.node);
      const downTwo = [second.node, others[0]];
      await Promise.all(downTwo.map((c) => c.kill()));
      const tNoQuorum = Date.now();
      let createError = '';
      try {
        await admin.createTopics({ topics: [{ topic: 'rf-controllers-no-quorum', numPartitions: 1, replicationFactor: 3 }], timeout: 4000 });
        createError = 'none';
      } catch (e) {
        createError = `${(e as Error).name}: ${(e as Error).message}`.slice(0, 160);
      }
      const createMs = Date.now() - tNoQuorum;
      const visibleWithoutQuorum = (await metadataFrom(brokers()[0].kafkaPort, 'rf-controllers-no-quorum')).errorCode === 0;
      // The data plane keeps going: acks=all with every replica in sync needs no controller.
      const acksBefore = w.count;
      await w.progress(30, 20_000).catch(() => undefined);
      const ackedWithoutQuorum = w.count - acksBefore;
      await Promise.all(downTwo.map((c) => c.start()));
      const third = await eventually(() => activeNow(), 30_000, 100);
      await admin.createTopics({ topics: [{ topic: 'rf-controllers-after', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
      await admin.disconnect();
      watching = false;
      await watcher;
      const f = await w.verify();
      report('controller failover', f, {
        killed: first.node.nodeId,
        newActive: second.node.nodeId,
        electionMs,
        fencedSeen: [...fencedSeen],
        noQuorumCreateTopics: createError,
        noQuorumCreateMs: createMs,
        ackedWithoutQuorum,
        activeAfterRestart: third.node.nodeId,
      });
      expect(electionMs).toBeLessThan(20_000);
      expect(after.map((p) => [p.partition, p.leader, p.replicas])).toEqual(before.map((p) => [p.partition, p.leader, p.replicas]));
      expect([...fencedSeen]).toEqual([]);
      expect(createError).not.toBe('none');
      expect(visibleWithoutQuorum).toBe(false);
      expect(ackedWithoutQuorum).toBeGreaterThan(0);
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
    }));

  it('SIGTERM a leader: controlled shutdown hands its leaderships to in-sync replicas before it exits; nothing acked lost', () =>
    withClusterLogs(async () => {
      const topic = 'rf-sigterm';
      await createTopic(topic, 3);
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 3 });
      await w.start();
      await w.progress(100);
      const before = await partitions(topic);
      const victim = cluster.node(before[0].leader);
      const led = before.filter((p) => p.leader === victim.nodeId).map((p) => p.partition);
      const logStart = fs.statSync(victim.logPath).size;
      const t = Date.now();
      const stop = await victim.stop();
      const exitMs = Date.now() - t;
      // Asked at once, well inside the session timeout: only a controlled shutdown can have moved these already,
      // and the controller lets the broker go only after the other brokers applied the change.
      const views = await Promise.all(brokers().filter((b) => b !== victim).map((b) => partitions(topic, b)));
      const stopLog = fs.readFileSync(victim.logPath, 'utf8').slice(logStart);
      const firstAckMs = await w.ackedAfter(t, 0, 30_000);
      await victim.start();
      const rejoinMs = await waitFullIsr(topic, 40_000);
      await w.progress(100);
      const f = await w.verify();
      report('SIGTERM leader', f, {
        victim: victim.nodeId,
        itLed: led,
        exitMs,
        forced: stop.forced,
        leadersSeenAtExit: views.map((v) => v.map((p) => p.leader)),
        shutdownLog: /controlled shutdown [^\n]*/.exec(stopLog)?.[0] ?? 'none',
        firstAckOnItsPartitionMs: firstAckMs,
        rejoinIsrMs: rejoinMs,
      });
      expect(stop.forced).toBe(false);
      expect(stopLog).toMatch(/controlled shutdown completed in \d+ ms/);
      for (const v of views) {
        for (const p of v) {
          expect(p.leader).not.toBe(victim.nodeId);
          expect(p.leader).toBeGreaterThanOrEqual(0);
          expect(p.isr).not.toContain(victim.nodeId);
        }
      }
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.outOfOrder).toBe(0);
    }));

  it('kill -9 the group coordinator: committed offsets fail over with __consumer_offsets and the group resumes where it left off', () =>
    withClusterLogs(async () => {
      const topic = 'rf-group';
      const groupId = 'rf-group-g';
      await createTopic(topic, 3);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const send = (prefix: string, n: number) =>
        producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition: i % 3, value: `${prefix}-${i}` })) });
      const admin = kafka.admin();
      await admin.connect();
      const committed = async () =>
        (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);

      // A consumer that keeps running through the coordinator's death. kafkajs keeps heartbeating the dead
      // coordinator until its retries run out, then restarts the consumer and finds the new one: how fast the group
      // resumes is mostly this retry budget.
      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await send('first', 300);
      await eventually(async () => seen.length >= 300 && (await committed()) === 300, 60_000, 200);

      const offsetsTopic = await metadataFrom(brokers()[0].kafkaPort, '__consumer_offsets');
      const coordinator = await findGroupCoordinator(brokers()[0].kafkaPort, groupId);
      expect(coordinator.errorCode).toBe(0);
      const victim = cluster.node(coordinator.nodeId);
      const t = Date.now();
      await victim.kill();
      const survivor = brokers().find((b) => b !== victim)!;
      const moved = await eventually(async () => {
        const c = await findGroupCoordinator(survivor.kafkaPort, groupId).catch(() => null);
        return c && c.errorCode === 0 && c.nodeId !== victim.nodeId ? { nodeId: c.nodeId, ms: Date.now() - t } : false;
      }, 30_000, 100);
      const offsetsAfterKill = await eventually(async () => {
        const n = await committed().catch(() => -1);
        return n >= 0 ? n : false;
      }, 30_000, 200);
      await send('second', 90);
      const resumedMs = await eventually(async () => (seen.filter((v) => v.startsWith('second')).length >= 90 ? Date.now() - t : false), 60_000, 200);
      await eventually(async () => (await committed()) === 390, 30_000, 200);
      await consumer.disconnect();

      // A new member of the group starts from the committed offsets, not from the beginning.
      await send('third', 30);
      const fresh: string[] = [];
      const next = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
      await next.connect();
      await next.subscribe({ topic, fromBeginning: true });
      await next.run({ eachMessage: async ({ message }) => void fresh.push(message.value!.toString()) });
      await eventually(async () => fresh.length >= 30, 60_000, 200);
      await sleep(500);
      await next.disconnect();
      await producer.disconnect();
      await admin.disconnect();
      await victim.start();
      await waitFullIsr(topic, 40_000);

      const replayed = seen.length - new Set(seen).size;
      console.log(
        `[replication-faults] group coordinator kill: victim=${victim.nodeId} offsetsTopicRF=${[...new Set(offsetsTopic.partitions.map((p) => p.replicas.length))].join()} ` +
          `newCoordinator=${moved.nodeId} after ${moved.ms}ms committedAfterKill=${offsetsAfterKill} secondConsumedAfter=${resumedMs}ms ` +
          `redelivered=${replayed} newMemberRead=${fresh.length} (${[...new Set(fresh.map((v) => v.split('-')[0]))].join(',')})`,
      );
      expect(offsetsTopic.partitions.length).toBeGreaterThan(0);
      for (const p of offsetsTopic.partitions) expect(p.replicas).toHaveLength(3);
      expect(offsetsAfterKill).toBe(300);
      expect(new Set(seen.filter((v) => v.startsWith('second'))).size).toBe(90);
      expect(fresh.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `third-${i}`).sort());
    }));

  it('rolling restart of every node under load: nothing acked lost', () =>
    withClusterLogs(async () => {
      const topic = 'rf-rolling';
      await createTopic(topic, 3);
      const w = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic, partitions: 3 });
      await w.start();
      const steps: string[] = [];
      for (const n of [...controllers(), ...brokers()]) {
        await w.progress(50, 60_000);
        const t = Date.now();
        const stop = await n.stop();
        await n.start();
        const isrMs = n.isBroker ? await waitFullIsr(topic, 40_000) : 0;
        steps.push(`${n.nodeId}:${Date.now() - t}ms${stop.forced ? '(forced)' : ''}${n.isBroker ? `,isr+${isrMs}` : ''}`);
      }
      await w.progress(50, 60_000);
      const f = await w.verify();
      report('rolling restart', f, { steps });
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      expect(f.outOfOrder).toBe(0);
    }));
});
