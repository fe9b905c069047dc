import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import { registerBroker, tempDir } from './testing/harness';

// Three controller processes on loopback with the default Raft timeouts (election 1000 ms, fetch 2000 ms);
// the leader is killed with SIGKILL. Ports 19750-19759.
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'controller', 'src', 'main.js');
const CLUSTER_ID = 'cnVubmVsLXByb2Nlc3Nlcw';
const PORTS = [19750, 19751, 19752];
const VOTERS = PORTS.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');

interface Proc {
  id: number;
  port: number;
  dir: string;
  child: ChildProcess | null;
  stderr: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnNode(p: Proc): void {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(ROOT, 'tools', 'runtime', 'paths.js'),
      MAIN,
      '--override', `node.id=${p.id}`,
      '--override', 'process.roles=controller',
      '--override', `listeners=CONTROLLER://127.0.0.1:${p.port}`,
      '--override', `controller.quorum.voters=${VOTERS}`,
      '--override', `log.dirs=${p.dir}`,
      '--override', `cluster.id=${CLUSTER_ID}`,
      '--override', 'controller.metrics.port=-1',
    ],
    { cwd: ROOT, env: { ...process.env, RUNNEL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d) => {
    p.stderr.push(String(d));
    if (p.stderr.length > 400) p.stderr.shift();
  });
  p.child = child;
}

function kill9(p: Proc): Promise<void> {
  const child = p.child;
  p.child = null;
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

async function ask(port: number, apiKey: number, version: number, body: unknown, timeoutMs = 2000): Promise<any | null> {
  let conn: KafkaConnection | null = null;
  try {
    conn = await KafkaConnection.connect({ host: '127.0.0.1', port, connectTimeoutMs: 500 });
    return await conn.send(apiKey, version, body as any, { timeoutMs });
  } catch {
    return null;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

async function quorum(port: number): Promise<any | null> {
  const r = await ask(port, ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }, 1000);
  return r?.topics?.[0]?.partitions?.[0] ?? null;
}

/** The node answering DescribeQuorum as leader (errorCode 0), polled until `timeoutMs`. */
async function findLeader(procs: Proc[], timeoutMs: number, minEpoch = 0): Promise<{ proc: Proc; epoch: number } | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const p of procs) {
      if (!p.child) continue;
      const q = await quorum(p.port);
      if (q && q.errorCode === 0 && q.leaderId === p.id && q.leaderEpoch > minEpoch) return { proc: p, epoch: q.leaderEpoch };
    }
    await sleep(25);
  }
  return null;
}

/** createTopics, retried while the node answers NOT_CONTROLLER (a new leader takes over its image first). */
async function createTopicsActive(port: number, names: string[], validateOnly = false, timeoutMs = 10_000): Promise<number[] | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await createTopics(port, names, validateOnly);
    if ((r && !r.includes(ErrorCode.NOT_CONTROLLER)) || Date.now() > deadline) return r;
    await sleep(20);
  }
}

async function createTopics(port: number, names: string[], validateOnly = false, timeoutMs = 5000): Promise<number[] | null> {
  const r = await ask(
    port,
    ApiKey.CreateTopics,
    7,
    { topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly },
    timeoutMs,
  );
  return r ? r.topics.map((t: any) => t.errorCode) : null;
}

const built = (() => {
  // Compile the controller (and the libraries it imports) into dist/ so the processes run this source.
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'apps/controller/tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return fs.existsSync(MAIN) ? null : `build failed: ${r.stdout}${r.stderr}`;
});

describe('controller quorum as processes (SIGKILL)', () => {
  const procs: Proc[] = PORTS.map((port, i) => ({ id: i + 1, port, dir: tempDir('runnel-qproc-'), child: null, stderr: [] }));

  afterAll(async () => {
    for (const p of procs) await kill9(p);
    for (const p of procs) fs.rmSync(p.dir, { recursive: true, force: true });
  });

  it('elects, fails over after kill -9 with the metadata intact, catches up a restarted voter, fences a SIGSTOPped leader, commits nothing without a majority', async () => {
    const err = built();
    if (err) throw new Error(err);
    const t0 = Date.now();
    for (const p of procs) spawnNode(p);
    const first = await findLeader(procs, 30_000);
    if (!first) throw new Error(`no leader elected:\n${procs.map((p) => p.stderr.join('')).join('\n')}`);
    const firstMs = Date.now() - t0;

    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: first.proc.port });
    await conn.negotiateVersions();
    for (let i = 0; ; i++) {
      try {
        await registerBroker(conn, 1);
        break;
      } catch (e) {
        // NOT_CONTROLLER until the new leader has taken over its image.
        if (i > 200) throw e;
        await sleep(25);
      }
    }
    await conn.close();
    expect(await createTopicsActive(first.proc.port, ['a', 'b', 'c'])).toEqual([0, 0, 0]);

    // kill -9 the leader.
    const tKill = Date.now();
    await kill9(first.proc);
    const second = await findLeader(procs, 20_000, first.epoch);
    expect(second).not.toBeNull();
    const failoverMs = Date.now() - tKill;
    // Metadata unchanged: the topics exist on the new leader.
    expect(await createTopicsActive(second!.proc.port, ['a', 'b', 'c'], true)).toEqual([
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.TOPIC_ALREADY_EXISTS,
    ]);
    expect(await createTopics(second!.proc.port, ['d'])).toEqual([0]);
    const writableMs = Date.now() - tKill;

    // Restart the killed voter: it follows and catches up with the leader's log.
    spawnNode(first.proc);
    const deadline = Date.now() + 20_000;
    let caughtUp = false;
    while (!caughtUp && Date.now() < deadline) {
      const q = await quorum(second!.proc.port);
      const me = q?.currentVoters?.find((v: any) => v.replicaId === first.proc.id);
      const lead = q?.currentVoters?.find((v: any) => v.replicaId === second!.proc.id);
      caughtUp = !!me && !!lead && me.logEndOffset === lead.logEndOffset && q.highWatermark === lead.logEndOffset;
      if (!caughtUp) await sleep(50);
    }
    expect(caughtUp).toBe(true);

    // A frozen leader (SIGSTOP past the fetch timeout) is replaced; on SIGCONT it commits nothing and follows.
    const frozen = second!.proc;
    const tStop = Date.now();
    frozen.child!.kill('SIGSTOP');
    const replacement = await findLeader(procs.filter((p) => p !== frozen), 20_000, second!.epoch);
    expect(replacement).not.toBeNull();
    const stopFailoverMs = Date.now() - tStop;
    expect(await createTopicsActive(replacement!.proc.port, ['e'])).toEqual([0]);
    frozen.child!.kill('SIGCONT');
    let zombie: any = null;
    const zDeadline = Date.now() + 15_000;
    while (Date.now() < zDeadline) {
      zombie = await quorum(frozen.port);
      if (zombie && zombie.errorCode !== 0 && zombie.leaderId === replacement!.proc.id) break;
      await sleep(50);
    }
    // It answers as a follower of the new leader, in the new epoch.
    expect(zombie).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: replacement!.proc.id, leaderEpoch: replacement!.epoch });
    expect(await createTopics(frozen.port, ['zombie'])).toEqual([ErrorCode.NOT_CONTROLLER]);
    second!.proc = replacement!.proc;
    second!.epoch = replacement!.epoch;

    // Two of three down: the survivor commits nothing.
    const survivor = procs.find((p) => p.id !== second!.proc.id && p.id !== frozen.id)!;
    const others = procs.filter((p) => p !== survivor);
    for (const p of others) await kill9(p);
    const restartLater = second!.proc;
    const res = await createTopics(survivor.port, ['never'], false, 10_000);
    expect(res === null || res[0] !== 0).toBe(true);
    // Bring one back: a majority again, and 'never' was not committed (a follower appends nothing itself).
    spawnNode(restartLater);
    const third = await findLeader([survivor, restartLater], 20_000);
    expect(third).not.toBeNull();
    expect(await createTopicsActive(third!.proc.port, ['a', 'd', 'e', 'never'], true)).toEqual([
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.TOPIC_ALREADY_EXISTS,
      0, // validateOnly: 'never' would be created now, so it does not exist
    ]);
    console.log(
      `[quorum-process] first election ${firstMs} ms (incl. process start); kill -9 of leader -> new leader in ${failoverMs} ms, ` +
        `first committed write after ${writableMs} ms; SIGSTOP of leader -> new leader in ${stopFailoverMs} ms (defaults: election timeout 1000 ms, fetch timeout 2000 ms)`,
    );
  });
});
