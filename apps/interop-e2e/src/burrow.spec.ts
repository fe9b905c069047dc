// Burrow (Debian's `burrow`, 1.2.1) computes consumer lag by consuming __consumer_offsets and decoding Kafka's binary
// offset-commit records, so this proves Runnel writes that topic the way Kafka does. Burrow 1.x refuses to start
// without a ZooKeeper for its own coordination, so the test also runs Debian's `zookeeper` as a plain Java process.
// Both packages come from tools/test/prepare.js; the test installs nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Kafka } from 'kafkajs';
import { RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { eventually, startNode, withLogs } from './support/nodes';

const BURROW = '/usr/bin/Burrow';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
// Gives ZooKeeper a logger (its own jar only has the slf4j API); same Debian dependency chain, optional.
const SLF4J_SIMPLE = '/usr/share/java/slf4j-simple.jar';
const ZK_PORT = 19910;
const BURROW_HTTP_PORT = 19911;
const CLUSTER = 'runnel';

const TOPIC = 'burrow-lag';
const GROUP = 'burrow-group';
// Per partition: how many records are produced and where the group's committed offset is.
const PRODUCED = [30, 20, 10];
const COMMITTED = [25, 5, 10];
const EXPECTED_LAG = PRODUCED.reduce((a, n, i) => a + n - COMMITTED[i], 0);

let node: RunnelNode;
let kafka: Kafka;
let tmp: string;
const children: ChildProcess[] = [];

interface Child {
  proc: ChildProcess;
  logPath: string;
}

function startChild(cmd: string, args: string[], logName: string, cwd: string): Child {
  const logPath = path.join(tmp, logName);
  const fd = fs.openSync(logPath, 'a');
  const proc = spawn(cmd, args, { cwd, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  children.push(proc);
  return { proc, logPath };
}

function tail(logPath: string, lines = 25): string {
  try {
    return fs.readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * ZooKeeper's four-letter "srvr" reports a Mode only once the server accepts sessions ("ruok" says imok earlier,
 * and a session opened then is dropped, which makes Burrow exit).
 */
function zkReady(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(ZK_PORT, '127.0.0.1');
    let got = '';
    s.setTimeout(1_000, () => s.destroy());
    s.on('connect', () => s.write('srvr'));
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => resolve(/Mode: standalone/.test(got)));
    s.on('error', () => resolve(false));
  });
}

const haveTools = fs.existsSync(BURROW) && fs.existsSync(ZOOKEEPER_JAR) && spawnSync('java', ['-version']).status === 0;
// npm test installs them (tools/test/prepare.js); a missing tool fails this suite rather than hiding it.
if (!haveTools) throw new Error('burrow.spec: Burrow, zookeeper or java missing; run tools/test/prepare.js as root');

describe('Burrow reads committed offsets from __consumer_offsets', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-burrow-'));
    node = await startNode('burrow', { overrides: { 'group.initial.rebalance.delay.ms': 0 }, kafkaPort: 19900, controllerPort: 19901, metricsPort: 19902, controllerMetricsPort: 19903 });
    ({ kafka } = kafkajs(node.bootstrap, 'runnel-e2e-burrow'));
  }, 90_000);

  afterAll(async () => {
    for (const c of children.reverse()) await stopChild(c);
    await node?.cleanup();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('reports the group with lag = produced - committed', () =>
    withLogs(node, async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PRODUCED.length }], waitForLeaders: true });
        const producer = kafka.producer();
        await producer.connect();
        for (let p = 0; p < PRODUCED.length; p++) {
          const messages = Array.from({ length: PRODUCED[p] }, (_, i) => ({ value: `p${p}-${i}` }));
          await producer.send({ topic: TOPIC, messages: messages.map((m) => ({ ...m, partition: p })) });
        }
        await producer.disconnect();
        // Commits with a known position; the group has no members, as with a stopped application.
        await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: COMMITTED.map((o, partition) => ({ partition, offset: String(o) })) });
        const fetched = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        expect(fetched[0].partitions.map((p) => Number(p.offset)).sort()).toEqual([...COMMITTED].sort());
      } finally {
        await admin.disconnect();
      }

      // ZooKeeper, standalone, data in the temp dir; the Debian jar's manifest carries its class path.
      const zkDir = path.join(tmp, 'zk');
      fs.mkdirSync(path.join(zkDir, 'data'), { recursive: true });
      fs.writeFileSync(
        path.join(zkDir, 'zoo.cfg'),
        [
          'tickTime=2000',
          `dataDir=${path.join(zkDir, 'data')}`,
          `clientPort=${ZK_PORT}`,
          'clientPortAddress=127.0.0.1',
          'admin.enableServer=false',
          '4lw.commands.whitelist=srvr',
          '',
        ].join('\n'),
      );
      const classPath = fs.existsSync(SLF4J_SIMPLE) ? `${ZOOKEEPER_JAR}:${SLF4J_SIMPLE}` : ZOOKEEPER_JAR;
      const zk = startChild('java', ['-Xmx128m', '-cp', classPath, 'org.apache.zookeeper.server.ZooKeeperServerMain', path.join(zkDir, 'zoo.cfg')], 'zookeeper.log', zkDir);
      await eventually(() => zkReady(), 20_000, 200).catch((e: Error) => {
        throw new Error(`${e.message}\n--- zookeeper log ---\n${tail(zk.logPath)}`);
      });

      // Burrow reads burrow.toml from --config-dir. Short refresh intervals make it notice offsets within seconds.
      const bwDir = path.join(tmp, 'burrow');
      fs.mkdirSync(bwDir, { recursive: true });
      const servers = `["${node.bootstrap}"]`;
      fs.writeFileSync(
        path.join(bwDir, 'burrow.toml'),
        `[general]
pidfile="${path.join(bwDir, 'burrow.pid')}"

[logging]
level="info"

[zookeeper]
servers=["127.0.0.1:${ZK_PORT}"]
timeout=6
root-path="/burrow"

[client-profile.runnel]
client-id="burrow-e2e"
kafka-version="2.0.0"

[cluster.${CLUSTER}]
class-name="kafka"
servers=${servers}
client-profile="runnel"
topic-refresh=5
offset-refresh=1

[consumer.${CLUSTER}]
class-name="kafka"
cluster="${CLUSTER}"
servers=${servers}
client-profile="runnel"
start-latest=false

[httpserver.default]
address="127.0.0.1:${BURROW_HTTP_PORT}"

[storage.default]
class-name="inmemory"
intervals=10
min-distance=1
`,
      );
      const burrow = startChild(BURROW, ['--config-dir', bwDir], 'burrow.log', bwDir);

      const url = `http://127.0.0.1:${BURROW_HTTP_PORT}/v3/kafka/${CLUSTER}/consumer/${GROUP}/lag`;
      let last = '';
      const status = await eventually(
        async () => {
          if (burrow.proc.exitCode !== null) throw new Error(`Burrow exited with ${burrow.proc.exitCode}`);
          const res = await fetch(url);
          last = `${res.status} ${await res.text()}`;
          if (!res.ok) return undefined;
          const body = JSON.parse(last.slice(4)) as { error: boolean; status?: BurrowStatus };
          const s = body.status;
          if (body.error || !s || s.partition_count !== PRODUCED.length || s.totallag !== EXPECTED_LAG) return undefined;
          return s;
        },
        40_000,
        500,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\nlast answer from ${url}: ${last}\n--- burrow log ---\n${tail(burrow.logPath)}`);
      });

      expect(status).toMatchObject({ cluster: CLUSTER, group: GROUP, totallag: EXPECTED_LAG, partition_count: 3 });
      // The /lag endpoint lists every partition of the group, with the committed offset Burrow decoded.
      const partitions = [...(status.partitions ?? [])].sort((a, b) => a.partition - b.partition);
      expect(partitions.map((p) => [p.topic, p.partition, p.end?.offset, p.current_lag])).toEqual(
        PRODUCED.map((n, p) => [TOPIC, p, COMMITTED[p], n - COMMITTED[p]]),
      );
    }), 90_000);
});

interface BurrowStatus {
  cluster: string;
  group: string;
  status: string;
  totallag: number;
  partition_count: number;
  partitions?: Array<{ topic: string; partition: number; current_lag: number; end?: { offset: number } }>;
}
