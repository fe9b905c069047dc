// `npm run cluster`: the compiled launcher (dist/tools/start/cluster.js) starts 3 controller and 2 broker
// processes, announces readiness, writes cluster.json, serves kafkajs through a topic whose partitions
// (replication factor 1) are spread over both brokers, kills, starts again and stops single nodes on request
// (--kill-node, --start-node, --stop-node), and stops every process on SIGTERM.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRepoRoot } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { parseClusterArgs } from '../../../tools/start/cluster';

const root = findRepoRoot();
const launcher = path.join(root, 'dist', 'tools', 'start', 'cluster.js');
const pathsJs = path.join(root, 'tools', 'runtime', 'paths.js');

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cluster launcher flags', () => {
  it('parses counts, port lists and pass-through overrides', () => {
    const a = parseClusterArgs(['--controllers', '3', '--brokers=3', '--ports', '9092,9095,9098', '--data-dir', 'd', '--override', 'num.partitions=6'], '/x');
    expect(a).toMatchObject({ controllers: 3, brokers: 3, ports: [9092, 9095, 9098], dataDir: '/x/d', passThrough: ['--override', 'num.partitions=6'] });
  });

  it('parses a request to act on one node of a running cluster', () => {
    expect(parseClusterArgs(['--data-dir', 'd', '--start-node', 'broker-5'], '/x')).toMatchObject({ dataDir: '/x/d', nodeAction: { action: 'start', node: 'broker-5' } });
    expect(parseClusterArgs(['--kill-node=4'], '/x').nodeAction).toEqual({ action: 'kill', node: '4' });
    expect(parseClusterArgs(['--stop-node', '6'], '/x').nodeAction).toEqual({ action: 'stop', node: '6' });
  });

  it.each([
    [['--brokers', '2', '--ports', '9092'], /--ports lists 1 port\(s\) but --brokers is 2/],
    [['--brokers', 'two'], /--brokers needs a whole number/],
    [['--controllers', '0'], /--controllers must be at least 1/],
    [['--ports', '9092,70000', '--brokers', '2'], /port 70000 is out of range/],
    [['--ports', '9092,9092', '--brokers', '2'], /port 9092 appears twice/],
    [['--data-dir'], /--data-dir needs a value/],
    [['--bogus'], /unknown option --bogus/],
    [['--override', 'node.id=7'], /the launcher sets node.id/],
    [['--start-node', '4', '--kill-node', '5'], /give one of --start-node, --stop-node, --kill-node at a time/],
    [['--stop-node', ' '], /--stop-node needs a node id or name/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseClusterArgs(argv as string[])).toThrow(message as RegExp);
  });

  it('the compiled launcher prints the usage and exits 2 on a bad flag', () => {
    const r = spawnSync(process.execPath, ['-r', pathsJs, launcher, '--brokers', 'x'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: --brokers needs a whole number/);
    expect(r.stderr).toMatch(/usage: npm run cluster/);
  });
});

describe('npm run cluster -- --controllers 3 --brokers 2', () => {
  let dir: string;
  let child: ChildProcess | null = null;
  let out = '';

  afterAll(async () => {
    // Leave nothing behind if the test failed half-way.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const json = path.join(dir ?? '', 'cluster.json');
    if (dir && fs.existsSync(json)) {
      for (const n of JSON.parse(fs.readFileSync(json, 'utf8')).nodes as Array<{ pid: number }>) {
        if (n.pid && alive(n.pid)) process.kill(n.pid, 'SIGKILL');
      }
    }
    if (dir && process.env.RUNNEL_KEEP_TEST_DATA !== '1') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, serves a topic spread over both brokers, and stops every process on SIGTERM', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-cluster-'));
    const ports: number[] = [];
    for (let p = 19800; p < 19900 && ports.length < 2; p++) if (await canBind(p)) ports.push(p);
    const base = ports[1] + 1;

    child = spawn(
      process.execPath,
      ['-r', pathsJs, launcher, '--controllers', '3', '--brokers', '2', '--ports', ports.join(','), '--port-base', String(base), '--data-dir', dir, '--timeout', '40'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));

    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/Runnel cluster ready/.test(out)) {
          clearInterval(timer);
          resolve();
        } else if (child!.exitCode !== null || Date.now() - t0 > 45_000) {
          clearInterval(timer);
          reject(new Error(`launcher not ready:\n${out}`));
        }
      }, 100);
    });
    process.stderr.write(`[cluster] ready after ${Date.now() - t0} ms\n`);

    const info = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8'));
    expect(info.ready).toBe(true);
    expect(info.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(info.nodes.map((n: any) => [n.nodeId, n.roles])).toEqual([
      [1, ['controller']],
      [2, ['controller']],
      [3, ['controller']],
      [4, ['broker']],
      [5, ['broker']],
    ]);
    expect(info.nodes.slice(3).map((n: any) => n.listeners.PLAINTEXT.port)).toEqual(ports);
    const voters = info.nodes.slice(0, 3).map((n: any) => `${n.nodeId}@127.0.0.1:${n.listeners.CONTROLLER.port}`).join(',');
    expect(info.controllerQuorumVoters).toBe(voters);
    const pids: number[] = info.nodes.map((n: any) => n.pid);
    expect(new Set(pids).size).toBe(5);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    const metricsPorts = info.nodes.map((n: any) => n.metricsPort);
    expect(new Set(metricsPorts).size).toBe(5);
    for (const n of info.nodes) expect(fs.existsSync(path.join(dir, `${n.name}.log`))).toBe(true);

    // kafkajs through both brokers: 4 partitions, RF 1, leaders on both brokers.
    const { kafka } = kafkajs(info.bootstrapServers.split(',')[0], 'runnel-e2e-cluster');
    const admin = kafka.admin();
    await admin.connect();
    const topic = 'cluster-spread';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const leaders = new Set(md.topics[0].partitions.map((p) => p.leader));
    expect([...leaders].sort()).toEqual([4, 5]);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'cluster-spread-g', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed only ${got.length} of 40`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length >= sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(got.sort()).toEqual(sent.map((m) => m.value).sort());

    // Acting on one node through the running launcher: kill -9, start again, graceful stop.
    const nodeAction = (...flags: string[]) => spawnSync(process.execPath, ['-r', pathsJs, launcher, '--data-dir', dir, ...flags], { cwd: root, encoding: 'utf8' });
    const nodeInfo = (id: number) => JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')).nodes.find((n: any) => n.nodeId === id);
    const killed = nodeAction('--kill-node', '5');
    expect({ status: killed.status, stdout: killed.stdout }).toEqual({ status: 0, stdout: `killed broker 5 (pid ${pids[4]}) with SIGKILL\n` });
    expect(alive(pids[4])).toBe(false);
    await waitFor(() => nodeInfo(5).running === false, 5_000);
    expect(nodeInfo(5).exit).toMatchObject({ signal: 'SIGKILL' });
    await waitFor(() => out.includes(`start it again with: npm run cluster -- --data-dir ${dir} --start-node 5`), 5_000);
    expect(nodeAction('--kill-node', '5')).toMatchObject({ status: 1, stderr: 'broker 5 is not running\n' });
    expect(nodeAction('--stop-node', '9')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^no node "9"; nodes: 1 \(controller-1\)/) });
    const started = nodeAction('--start-node', 'broker-5');
    expect(started.status).toBe(0);
    const newPid = Number(/^broker 5 started \(pid (\d+)\) and ready$/m.exec(started.stdout)?.[1]);
    expect(alive(newPid)).toBe(true);
    expect(nodeInfo(5)).toMatchObject({ pid: newPid, running: true });
    expect(nodeInfo(5).exit).toBeUndefined();
    expect(nodeAction('--start-node', '5')).toMatchObject({ status: 1, stderr: `broker 5 is already running (pid ${newPid})\n` });
    // Broker 5 kept its partitions' records across the kill -9 and serves them again.
    const again = kafka.consumer({ groupId: 'cluster-spread-g2', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await again.connect();
    await again.subscribe({ topic, fromBeginning: true });
    const reread: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`re-read only ${reread.length} of 40`)), 30_000);
      void again.run({
        eachMessage: async ({ message }) => {
          reread.push(message.value!.toString());
          if (reread.length >= sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await again.disconnect();
    expect(reread.sort()).toEqual(sent.map((m) => m.value).sort());
    const stopped = nodeAction('--stop-node', '4');
    expect(stopped).toMatchObject({ status: 0, stdout: expect.stringMatching(/^stopped broker 4 \(pid \d+\) in \d+ ms\n$/) });
    expect(alive(pids[3])).toBe(false);
    expect(nodeAction('--start-node', '4').status).toBe(0);
    const finalPids: number[] = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')).nodes.map((n: any) => n.pid);

    child.kill('SIGTERM');
    const exit = await exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(out).toMatch(/Runnel cluster stopped/);
    // Brokers were stopped before any controller.
    const order = [...out.matchAll(/stopped (broker|controller) \d+/g)].map((m) => m[1]);
    expect(order).toEqual(['broker', 'broker', 'controller', 'controller', 'controller']);
    for (const pid of finalPids) expect(alive(pid)).toBe(false);
    expect(nodeAction('--start-node', '4')).toMatchObject({ status: 1, stderr: expect.stringMatching(/launcher of .* is not running/) });
  }, 120_000);
});
