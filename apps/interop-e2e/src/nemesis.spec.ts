// Randomized faults, Jepsen-style: 3 controllers + 3 brokers (every inter-node link behind a proxy), a topic with
// replication factor 3 and min.insync.replicas=2, and a kafkajs idempotent acks=all producer writing sequential
// integers while a seeded nemesis keeps hurting the cluster: kill -9 and restart, SIGSTOP, SIGTERM, isolating a
// broker or the active controller, cutting one broker-to-broker link, two brokers down at once. Each fault is
// healed before the next. At the end nothing acknowledged may be missing, duplicated or reordered, and once the
// ISR is whole again the three replicas of every partition must hold byte-identical logs on disk.
//
// CI runs it for RUNNEL_NEMESIS_SECONDS (default 60) with a random seed that it prints; replay a failure with
// RUNNEL_NEMESIS_SEED=<seed>, or soak longer with RUNNEL_NEMESIS_SECONDS=600.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunnelCluster, RunnelNode } from '@runnel/testing';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, sleep } from './support/nodes';
import { prng } from './support/raw';
import { describeQuorum, metadataFrom, ProduceWorkload, report } from './support/workload';

const SECONDS = Number(process.env.RUNNEL_NEMESIS_SECONDS ?? 60);
const SEED = Number(process.env.RUNNEL_NEMESIS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOPIC = 'nemesis';
const PARTITIONS = 6;

jest.setTimeout(SECONDS * 1000 + 300_000);

let cluster: RunnelCluster;

beforeAll(async () => {
  cluster = await RunnelCluster.start({
    controllers: 3,
    brokers: 3,
    proxied: true,
    namePrefix: 'nemesis',
    readyTimeoutMs: 60_000,
    overrides: {
      'broker.session.timeout.ms': 3000,
      'broker.heartbeat.interval.ms': 500,
      'replica.lag.time.max.ms': 4000,
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
    },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.cleanup();
});

async function activeController(): Promise<RunnelNode | undefined> {
  for (const c of cluster.controllers.filter((n) => n.running)) {
    const q = await describeQuorum(c.controllerPort);
    if (q && q.errorCode === 0 && q.leaderId > 0) return cluster.node(q.leaderId);
  }
  return undefined;
}

/** Every partition led and with all three replicas in its ISR, in every broker's view. */
async function waitWholeIsr(timeoutMs: number): Promise<void> {
  await eventually(async () => {
    for (const b of cluster.brokers) {
      const md = await metadataFrom(b.kafkaPort, TOPIC);
      if (md.errorCode !== 0 || md.partitions.length !== PARTITIONS) return false;
      if (md.partitions.some((p) => p.leader < 0 || p.isr.length !== 3)) return false;
    }
    return true;
  }, timeoutMs, 250);
}

/** The partition's record bytes as one replica stores them: its segments' .log files in offset order. */
function replicaLog(broker: RunnelNode, partition: number): Buffer {
  const dir = path.join(broker.dataDir, `${TOPIC}-${partition}`);
  const segments = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(segments.map((f) => fs.readFileSync(path.join(dir, f))));
}

it(`randomized faults for ${SECONDS} s (seed ${SEED}): nothing acked lost, no duplicates, order kept, replicas identical`, async () => {
  const rnd = prng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const ms = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo));

  const faults: Array<(b: RunnelNode) => Promise<string>> = [
    async (b) => {
      await b.kill();
      const down = ms(500, 5000);
      await sleep(down);
      await b.start();
      return `kill -9 broker ${b.nodeId}, restarted after ${down} ms`;
    },
    async (b) => {
      b.pause();
      const frozen = ms(1000, 6000);
      await sleep(frozen);
      b.resume();
      return `SIGSTOP broker ${b.nodeId} for ${frozen} ms`;
    },
    async (b) => {
      const r = await b.stop(30_000);
      await b.start();
      return `SIGTERM broker ${b.nodeId} (exit in ${r.durationMs} ms), restarted`;
    },
    async (b) => {
      cluster.isolate(b.nodeId);
      const cut = ms(1000, 8000);
      await sleep(cut);
      cluster.heal();
      return `isolated broker ${b.nodeId} for ${cut} ms`;
    },
    async (b) => {
      const other = pick(cluster.brokers.filter((x) => x !== b));
      cluster.cut(b.nodeId, other.nodeId);
      const cut = ms(1000, 8000);
      await sleep(cut);
      cluster.heal();
      return `cut broker ${b.nodeId} <-> broker ${other.nodeId} for ${cut} ms`;
    },
    async (b) => {
      const other = pick(cluster.brokers.filter((x) => x !== b));
      await Promise.all([b.kill(), other.kill()]);
      const down = ms(500, 4000);
      await sleep(down);
      await Promise.all([b.start(), other.start()]);
      return `kill -9 brokers ${b.nodeId} and ${other.nodeId}, restarted after ${down} ms`;
    },
    async () => {
      const c = (await activeController()) ?? pick(cluster.controllers);
      await c.kill();
      const down = ms(500, 5000);
      await sleep(down);
      await c.start();
      return `kill -9 controller ${c.nodeId} (active), restarted after ${down} ms`;
    },
    async () => {
      const c = (await activeController()) ?? pick(cluster.controllers);
      cluster.isolate(c.nodeId);
      const cut = ms(1000, 6000);
      await sleep(cut);
      cluster.heal();
      return `isolated controller ${c.nodeId} (active) for ${cut} ms`;
    },
  ];

  const admin = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  await admin.disconnect();
  await waitWholeIsr(30_000);

  const workload = new ProduceWorkload({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: PARTITIONS, clientId: 'runnel-e2e-nemesis', retries: 100 });
  await workload.start();
  const history: string[] = [];
  const t0 = Date.now();
  try {
    while (Date.now() - t0 < SECONDS * 1000) {
      const b = pick(cluster.brokers);
      const before = workload.count;
      history.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${await pick(faults)(b)} (+${workload.count - before} acks)`);
      await sleep(ms(500, 3000));
    }
  } finally {
    cluster.heal();
    for (const n of cluster.nodes) n.resume();
    await Promise.all(cluster.nodes.filter((n) => !n.running).map((n) => n.start()));
  }
  // The cluster serves again after the last fault.
  await workload.progress(20, 60_000);
  const figures = await workload.verify();
  const healMs = Date.now();
  await waitWholeIsr(60_000);
  report(`nemesis seed=${SEED}`, figures, { faults: history.length, wholeIsrAfterMs: Date.now() - healMs });
  console.log(`[nemesis] seed=${SEED} schedule:\n  ${history.join('\n  ')}`);

  expect({ lost: figures.lost, duplicates: figures.duplicates, outOfOrder: figures.outOfOrder, lostSample: figures.lostSample }).toEqual({
    lost: 0,
    duplicates: 0,
    outOfOrder: 0,
    lostSample: [],
  });
  expect(figures.acked).toBeGreaterThan(100);

  // With no more writes the followers hold exactly the leader's log: stop the brokers and compare the bytes.
  await sleep(1000);
  for (const b of cluster.brokers) await b.stop(30_000);
  const differ: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const [first, ...rest] = cluster.brokers.map((b) => replicaLog(b, p));
    rest.forEach((log, i) => {
      if (!log.equals(first)) differ.push(`partition ${p}: broker ${cluster.brokers[i + 1].nodeId} has ${log.length} bytes, broker ${cluster.brokers[0].nodeId} ${first.length}`);
    });
  }
  expect(differ).toEqual([]);
});
