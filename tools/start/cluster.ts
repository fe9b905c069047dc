// `npm run cluster -- --controllers 3 --brokers 3 --ports 9092,9095,9098 --data-dir DIR`: a multi-process
// Runnel cluster on loopback. Each node is its own `tools/start/main.js` process (started through
// libs/testing's RunnelNode, so tests and this launcher start nodes the same way). The launcher waits
// until every broker is registered and unfenced, writes DIR/cluster.json, never restarts a node, and on
// SIGINT/SIGTERM stops the brokers first (controlled shutdown needs the controllers), then the controllers.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ConfigError, KafkaConfig, parseProperties } from '@runnel/config';
import { brokerMetadata, RunnelNode } from '@runnel/testing';
import { type ActionResult, NODE_ACTION_FLAGS, type NodeAction, requestNodeAction, serveNodeActions } from './cluster-control';

const HOST = '127.0.0.1';

export const CLUSTER_USAGE = `usage: npm run cluster -- [options]
  --controllers N         controller processes, node ids 1..N (1, 3 or 5; default 3)
  --brokers N             broker processes, node ids N_controllers+1... (default 3)
  --ports P1,P2,...       PLAINTEXT ports of the brokers, one per broker
                          (default: consecutive free ports from 9092)
  --controller-ports LIST CONTROLLER listener ports, one per controller (default: free ports from 9093)
  --port-base N           scan for every port not given above from N instead (brokers, then
                          controllers, then metrics)
  --data-dir DIR          log dirs DIR/<node>/, logs DIR/<node>.log, DIR/cluster.json (default ./cluster-data)
  --timeout SECONDS       how long to wait for the cluster to become ready (default 90)
  --override key=value    a server setting for every node (repeatable), e.g. num.partitions=6
  --config FILE           a properties file every node reads (its node-specific keys are replaced)
  -h, --help              this text

While a cluster runs, these ask its launcher (found through DIR/cluster.json) to act on one node, by node id
or name, and exit:
  --start-node NODE       start again a node that has exited (same ports, data and settings)
  --stop-node NODE        stop a node gracefully (SIGTERM; a broker hands its leaderships over first)
  --kill-node NODE        kill -9 a node`;

/** Keys the launcher sets per node; a shared --override of them would break the cluster. */
const NODE_KEYS = [
  'node.id',
  'process.roles',
  'listeners',
  'advertised.listeners',
  'controller.listener.names',
  'controller.quorum.voters',
  'log.dirs',
  'metadata.log.dir',
  'metrics.port',
  'controller.metrics.port',
];

export class UsageError extends Error {}

export interface ClusterArgs {
  controllers: number;
  brokers: number;
  ports?: number[];
  controllerPorts?: number[];
  portBase?: number;
  dataDir: string;
  timeoutMs: number;
  /** --override / --config arguments passed to every node unchanged. */
  passThrough: string[];
  help: boolean;
  /** --start-node / --stop-node / --kill-node: a request to the running launcher instead of a new cluster. */
  nodeAction?: { action: NodeAction; node: string };
}

function parseCount(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} needs a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min) throw new UsageError(`${flag} must be at least ${min}, got ${n}`);
  if (n > 32) throw new UsageError(`${flag} ${n} is more processes than a loopback cluster needs (at most 32)`);
  return n;
}

function parsePort(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: "${text}" is not a port number`);
  const p = Number(text.trim());
  if (p < 1 || p > 65535) throw new UsageError(`${flag}: port ${p} is out of range 1-65535`);
  return p;
}

function parsePortList(flag: string, text: string): number[] {
  const ports = text.split(',').filter((s) => s.trim() !== '').map((s) => parsePort(flag, s));
  if (ports.length === 0) throw new UsageError(`${flag} needs a comma-separated list of ports`);
  const dup = ports.find((p, i) => ports.indexOf(p) !== i);
  if (dup !== undefined) throw new UsageError(`${flag}: port ${dup} appears twice`);
  return ports;
}

/** Parses the launcher's flags; throws UsageError with a message that names the bad flag. */
export function parseClusterArgs(argv: string[], cwd = process.cwd()): ClusterArgs {
  const out: ClusterArgs = { controllers: 3, brokers: 3, dataDir: path.resolve(cwd, 'cluster-data'), timeoutMs: 90_000, passThrough: [], help: false };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    if (flag === '-h' || flag === '--help') {
      out.help = true;
      continue;
    }
    const takesValue = ['--controllers', '--brokers', '--ports', '--controller-ports', '--port-base', '--data-dir', '--timeout', '--override', '--config', ...NODE_ACTION_FLAGS];
    if (!takesValue.includes(flag)) {
      throw new UsageError(flag.startsWith('-') ? `unknown option ${flag}` : `unexpected argument "${flag}"`);
    }
    if (value === undefined) {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith('--') && argv[i + 1].length > 2)) throw new UsageError(`${flag} needs a value`);
      value = argv[++i];
    }
    if (flag !== '--override' && seen.has(flag)) throw new UsageError(`${flag} is given twice`);
    seen.add(flag);
    switch (flag) {
      case '--controllers':
        out.controllers = parseCount(flag, value, 1);
        break;
      case '--brokers':
        out.brokers = parseCount(flag, value, 1);
        break;
      case '--ports':
        out.ports = parsePortList(flag, value);
        break;
      case '--controller-ports':
        out.controllerPorts = parsePortList(flag, value);
        break;
      case '--port-base':
        out.portBase = parsePort(flag, value);
        break;
      case '--data-dir':
        if (value.trim() === '') throw new UsageError('--data-dir needs a directory');
        out.dataDir = path.resolve(cwd, value);
        break;
      case '--timeout': {
        const s = Number(value);
        if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--timeout needs a positive number of seconds, got "${value}"`);
        out.timeoutMs = Math.round(s * 1000);
        break;
      }
      case '--override': {
        const k = value.slice(0, Math.max(0, value.indexOf('='))).trim();
        if (!k) throw new UsageError(`--override "${value}": expected key=value`);
        if (NODE_KEYS.includes(k)) throw new UsageError(`--override ${k}: the launcher sets ${k} for each node itself`);
        out.passThrough.push('--override', value);
        break;
      }
      case '--config':
        out.passThrough.push('--config', path.resolve(cwd, value));
        break;
      default: {
        if (out.nodeAction) throw new UsageError(`${flag}: give one of ${NODE_ACTION_FLAGS.join(', ')} at a time`);
        if (value.trim() === '') throw new UsageError(`${flag} needs a node id or name`);
        out.nodeAction = { action: flag.slice(2, -'-node'.length) as NodeAction, node: value.trim() };
      }
    }
  }
  if (out.help || out.nodeAction) return out;
  if (out.controllers % 2 === 0) {
    process.stderr.write(`warning: ${out.controllers} controllers tolerate no more failures than ${out.controllers - 1}; use an odd number\n`);
  }
  if (out.ports && out.ports.length !== out.brokers) {
    throw new UsageError(`--ports lists ${out.ports.length} port(s) but --brokers is ${out.brokers}: give one port per broker`);
  }
  if (out.controllerPorts && out.controllerPorts.length !== out.controllers) {
    throw new UsageError(`--controller-ports lists ${out.controllerPorts.length} port(s) but --controllers is ${out.controllers}`);
  }
  const clash = (out.ports ?? []).find((p) => (out.controllerPorts ?? []).includes(p));
  if (clash !== undefined) throw new UsageError(`port ${clash} is in both --ports and --controller-ports`);
  return out;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: HOST, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The first `count` ports from `start` upwards that are free now and not already handed out. */
async function scanPorts(start: number, count: number, taken: Set<number>): Promise<number[]> {
  const out: number[] = [];
  for (let p = start; out.length < count; p++) {
    if (p > 65535) throw new Error(`no ${count} free ports at or above ${start}`);
    if (taken.has(p) || !(await canBind(p))) continue;
    taken.add(p);
    out.push(p);
  }
  return out;
}

/** Kafka-style cluster id: 16 random bytes, base64url (22 chars), not starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Every voter must share one cluster id: keep the one already in DIR, else make one. */
function clusterIdFor(dataDir: string, passThrough: string[]): string {
  const shared = KafkaConfig.load({ argv: passThrough, env: process.env, validate: false });
  const configured = shared.isSet('cluster.id') ? shared.getString('cluster.id') : null;
  if (configured) return configured;
  try {
    const j = JSON.parse(fs.readFileSync(path.join(dataDir, 'cluster.json'), 'utf8')) as { clusterId?: string };
    if (j.clusterId) return j.clusterId;
  } catch {
    // first start
  }
  for (const d of fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : []) {
    const meta = path.join(dataDir, d, 'meta.properties');
    if (!fs.existsSync(meta)) continue;
    const id = parseProperties(fs.readFileSync(meta, 'utf8'), meta).find((e) => e.key === 'cluster.id');
    if (id?.value) return id.value;
  }
  return newClusterId();
}

interface Member {
  node: RunnelNode;
  role: 'controller' | 'broker';
  exit?: { code: number | null; signal: string | null; at: string };
  /** A --start/--stop/--kill-node request is acting on it. */
  busy?: boolean;
}

function describe(m: Member): string {
  return `${m.role} ${m.node.nodeId}`;
}

function clusterJson(clusterId: string, args: ClusterArgs, members: Member[], ready: boolean, controlPort?: number): unknown {
  return {
    clusterId,
    ready,
    dataDir: args.dataDir,
    bootstrapServers: members.filter((m) => m.role === 'broker').map((m) => m.node.bootstrap).join(','),
    controllerQuorumVoters: members[0]?.node.quorumVoters ?? '',
    launcherPid: process.pid,
    ...(controlPort ? { controlPort } : {}),
    nodes: members.map((m) => ({
      nodeId: m.node.nodeId,
      name: m.node.name,
      roles: m.node.roles,
      listeners:
        m.role === 'broker'
          ? { PLAINTEXT: { host: m.node.host, port: m.node.kafkaPort } }
          : { CONTROLLER: { host: m.node.host, port: m.node.controllerPort } },
      metricsPort: m.role === 'broker' ? m.node.metricsPort : m.node.controllerMetricsPort,
      pid: m.node.pid ?? null,
      running: m.node.running,
      ...(m.exit ? { exit: m.exit } : {}),
      logDir: m.node.dataDir,
      logFile: m.node.logPath,
    })),
  };
}

function writeClusterJson(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once some broker's Metadata lists every broker (only registered, unfenced brokers are listed). */
async function waitAllUnfenced(brokers: RunnelNode[], deadline: number, alive: () => string): Promise<void> {
  const want = brokers.map((b) => b.nodeId);
  let last = '';
  while (Date.now() < deadline) {
    const problem = alive();
    if (problem) throw new Error(problem);
    for (const b of brokers) {
      try {
        const md = await brokerMetadata(b.host, b.kafkaPort, 2000);
        const listed = md.brokers.map((x) => x.nodeId);
        if (want.every((id) => listed.includes(id))) return;
        last = `broker ${b.nodeId} lists [${listed.join(',')}], waiting for [${want.join(',')}]`;
      } catch (e) {
        last = `broker ${b.nodeId}: ${(e as Error).message}`;
      }
    }
    await sleep(200);
  }
  throw new Error(`not every broker was registered and unfenced in time (${last})`);
}

async function main(): Promise<void> {
  let args: ClusterArgs;
  try {
    args = parseClusterArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n${CLUSTER_USAGE}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${CLUSTER_USAGE}\n`);
    return;
  }
  if (args.nodeAction) {
    const r = await requestNodeAction(args.dataDir, args.nodeAction.node, args.nodeAction.action);
    (r.status === 200 ? process.stdout : process.stderr).write(`${r.message}\n`);
    process.exit(r.status === 200 ? 0 : 1);
  }

  // Ports: given ones first, then scan for the rest (each port used once).
  const taken = new Set<number>([...(args.ports ?? []), ...(args.controllerPorts ?? [])]);
  for (const p of taken) {
    if (!(await canBind(p))) {
      process.stderr.write(`error: port ${p} on ${HOST} is in use\n`);
      process.exit(2);
    }
  }
  const base = args.portBase;
  const brokerPorts = args.ports ?? (await scanPorts(base ?? 9092, args.brokers, taken));
  const controllerPorts = args.controllerPorts ?? (await scanPorts(base ?? 9093, args.controllers, taken));
  const metricsPorts = await scanPorts(base ?? 9404, args.controllers + args.brokers, taken);

  fs.mkdirSync(args.dataDir, { recursive: true });
  let clusterId: string;
  try {
    clusterId = clusterIdFor(args.dataDir, args.passThrough);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`error: invalid configuration: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const voters = controllerPorts.map((p, i) => `${i + 1}@${HOST}:${p}`).join(',');

  const members: Member[] = [];
  const shared: Record<string, string> = { 'cluster.id': clusterId };
  // A cluster is for replication: new topics get up to 3 replicas and acks=all needs 2 of them, unless the user
  // passed their own values.
  const given = (key: string) => args.passThrough.some((a) => a.startsWith(`${key}=`));
  if (!given('default.replication.factor')) shared['default.replication.factor'] = String(Math.min(3, args.brokers));
  if (!given('min.insync.replicas') && args.brokers >= 3) shared['min.insync.replicas'] = '2';
  for (let i = 0; i < args.controllers + args.brokers; i++) {
    const isController = i < args.controllers;
    const nodeId = i + 1;
    const name = `${isController ? 'controller' : 'broker'}-${nodeId}`;
    const node = new RunnelNode({
      name,
      nodeId,
      roles: [isController ? 'controller' : 'broker'],
      kafkaPort: isController ? undefined : brokerPorts[i - args.controllers],
      controllerPort: isController ? controllerPorts[i] : undefined,
      metricsPort: isController ? undefined : metricsPorts[i],
      controllerMetricsPort: isController ? metricsPorts[i] : undefined,
      quorumVoters: voters,
      dataDir: path.join(args.dataDir, name),
      logPath: path.join(args.dataDir, `${name}.log`),
      overrides: shared,
      args: args.passThrough,
      readyTimeoutMs: args.timeoutMs,
      detached: true,
    });
    members.push({ node, role: isController ? 'controller' : 'broker' });
  }

  // Check every node's final settings with the same parser the nodes use, before starting anything.
  for (const m of members) {
    const argv = [...args.passThrough];
    for (const [k, v] of Object.entries(m.node.overrides())) argv.push('--override', `${k}=${v}`);
    try {
      KafkaConfig.load({ argv, env: process.env });
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`error: invalid configuration for ${describe(m)}: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
  }

  const jsonFile = path.join(args.dataDir, 'cluster.json');
  let stopping = false;
  let ready = false;
  let controlPort: number | undefined;
  const writeJson = (): void => writeClusterJson(jsonFile, clusterJson(clusterId, args, members, ready, controlPort));

  const stopAll = async (): Promise<void> => {
    // Brokers first: their controlled shutdown moves leadership through the active controller.
    for (const role of ['broker', 'controller'] as const) {
      await Promise.all(
        members
          .filter((m) => m.role === role && m.node.running)
          .map(async (m) => {
            const pid = m.node.pid;
            const r = await m.node.stop(30_000);
            process.stdout.write(`stopped ${describe(m)} (pid ${pid})${r.forced ? ' with SIGKILL after 30 s' : ''} in ${r.durationMs} ms\n`);
          }),
      );
    }
    for (const m of members) await m.node.cleanup({ keepLogs: true });
  };

  const onSignal = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: killing every node now\n`);
      for (const m of members) void m.node.kill();
      setTimeout(() => process.exit(1), 500);
      return;
    }
    stopping = true;
    process.stderr.write(`${signal} received: stopping brokers, then controllers\n`);
    stopAll().then(
      () => {
        ready = false;
        controlPort = undefined;
        writeJson();
        process.stdout.write('Runnel cluster stopped\n');
        process.exit(0);
      },
      (e) => {
        process.stderr.write(`shutdown error: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  process.stdout.write(`Starting Runnel cluster ${clusterId}: ${args.controllers} controller(s), ${args.brokers} broker(s), data in ${args.dataDir}\n`);
  for (const m of members) {
    const port = m.role === 'broker' ? `PLAINTEXT ${HOST}:${m.node.kafkaPort}` : `CONTROLLER ${HOST}:${m.node.controllerPort}`;
    const metrics = m.role === 'broker' ? m.node.metricsPort : m.node.controllerMetricsPort;
    process.stdout.write(`  ${describe(m)}: ${port}, metrics ${HOST}:${metrics}, log ${m.node.logPath}\n`);
  }

  const deadline = Date.now() + args.timeoutMs;
  const watchExit = (m: Member): void => {
    const child = m.node;
    const pid = child.pid;
    void child.exited.then((e) => {
      m.exit = { code: e.code, signal: e.signal, at: new Date().toISOString() };
      if (stopping) return;
      const how = e.signal ? `signal ${e.signal}` : `code ${e.code}`;
      const left = members.filter((x) => x.node.running).length;
      process.stderr.write(
        `${describe(m)} (pid ${pid}) exited with ${how}; not restarting it (${left} process(es) still running); log ${child.logPath}; ` +
          `start it again with: npm run cluster -- --data-dir ${args.dataDir} --start-node ${m.node.nodeId}\n`,
      );
      if (ready) writeJson();
      if (ready && left === 0) {
        process.stderr.write('every node has exited\n');
        process.exit(1);
      }
    });
  };

  const actOnNode = async (target: string, action: NodeAction): Promise<ActionResult> => {
    if (stopping) return { status: 409, message: 'the cluster is stopping' };
    const m = members.find((x) => String(x.node.nodeId) === target || x.node.name === target);
    if (!m) return { status: 404, message: `no node "${target}"; nodes: ${members.map((x) => `${x.node.nodeId} (${x.node.name})`).join(', ')}` };
    if (m.busy) return { status: 409, message: `${describe(m)} is busy with another request` };
    const pid = m.node.pid;
    m.busy = true;
    try {
      if (action === 'start') {
        if (m.node.running) return { status: 409, message: `${describe(m)} is already running (pid ${pid})` };
        m.exit = undefined;
        process.stdout.write(`starting ${describe(m)} again (requested)\n`);
        try {
          await m.node.start();
        } catch (e) {
          writeJson();
          return { status: 500, message: `${describe(m)} did not become ready: ${(e as Error).message.split('\n')[0]}; log ${m.node.logPath}` };
        }
        watchExit(m);
        writeJson();
        const message = `${describe(m)} started (pid ${m.node.pid}) and ready`;
        process.stdout.write(`${message}\n`);
        return { status: 200, message };
      }
      if (!m.node.running) return { status: 409, message: `${describe(m)} is not running` };
      if (action === 'stop') {
        const r = await m.node.stop(30_000);
        return { status: 200, message: `stopped ${describe(m)} (pid ${pid})${r.forced ? ' with SIGKILL after 30 s' : ''} in ${r.durationMs} ms` };
      }
      await m.node.kill();
      return { status: 200, message: `killed ${describe(m)} (pid ${pid}) with SIGKILL` };
    } finally {
      m.busy = false;
    }
  };

  try {
    // All at once: a quorum of several voters only becomes ready together.
    await Promise.all(
      members.map(async (m) => {
        await m.node.start();
        watchExit(m);
      }),
    );
    if (stopping) return;
    await waitAllUnfenced(
      members.filter((m) => m.role === 'broker').map((m) => m.node),
      deadline,
      () => (stopping ? 'stopping' : members.filter((m) => !m.node.running).map((m) => `${describe(m)} exited during startup; log ${m.node.logPath}`).join('; ')),
    );
  } catch (e) {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`Runnel cluster failed to start: ${(e as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
  if (stopping) return;
  ready = true;
  controlPort = (await serveNodeActions((node, action) => actOnNode(node, action))).port;
  writeJson();
  const bootstrap = members.filter((m) => m.role === 'broker').map((m) => m.node.bootstrap).join(',');
  process.stdout.write(
    `Runnel cluster ready: ${args.controllers} controller(s) (quorum ${voters}), ${args.brokers} broker(s) registered and unfenced; ` +
      `bootstrap ${bootstrap}; ${jsonFile}\n` +
      `Act on one node from another shell: npm run cluster -- --data-dir ${args.dataDir} --stop-node|--kill-node|--start-node <node id>\n`,
  );
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`Runnel cluster failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
