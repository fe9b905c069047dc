import * as fs from 'node:fs';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import { RunningController } from './bootstrap';
import { connect, registerBroker, startTestController, tempDir } from './testing/harness';

// Three in-process controllers on loopback (ports 19700-19799 belong to these tests).
jest.setTimeout(90_000);

const CLUSTER_ID = 'cnVubmVsLXJhZnQtdGVzdA';
const ELECTION_MS = 300;
const FETCH_MS = 800;

interface Node {
  id: number;
  port: number;
  dir: string;
  ctl: RunningController | null;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

class Cluster {
  readonly nodes: Node[];
  constructor(basePort: number, readonly size = 3) {
    const n = size;
    this.nodes = Array.from({ length: n }, (_, i) => ({ id: i + 1, port: basePort + i, dir: tempDir('runnel-quorum-'), ctl: null }));
  }

  get voters(): string {
    return this.nodes.map((n) => `${n.id}@127.0.0.1:${n.port}`).join(',');
  }

  async start(id: number): Promise<void> {
    const n = this.node(id);
    n.ctl = await startTestController(n.dir, {
      'node.id': id,
      listeners: `CONTROLLER://127.0.0.1:${n.port}`,
      'controller.quorum.voters': this.voters,
      'cluster.id': CLUSTER_ID,
      'controller.quorum.election.timeout.ms': ELECTION_MS,
      'controller.quorum.fetch.timeout.ms': FETCH_MS,
    });
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.id)));
  }

  node(id: number): Node {
    return this.nodes.find((n) => n.id === id)!;
  }

  raft(id: number) {
    return this.node(id).ctl!.runtime.raft!;
  }

  running(): Node[] {
    return this.nodes.filter((n) => n.ctl);
  }

  /** The single active controller among the running nodes, or undefined. */
  active(): Node | undefined {
    const act = this.running().filter((n) => n.ctl!.runtime.controller!.active);
    return act.length === 1 ? act[0] : undefined;
  }

  async waitForLeader(timeoutMs = 15_000): Promise<Node> {
    return waitFor('an active controller', () => this.active(), timeoutMs);
  }

  /** Graceful stop (a leader resigns with EndQuorumEpoch). */
  async stop(id: number): Promise<void> {
    const n = this.node(id);
    await n.ctl?.close();
    n.ctl = null;
  }

  /** Crash stand-in: the node goes silent first, so nobody hears it resign. */
  async crash(id: number): Promise<void> {
    const n = this.node(id);
    if (!n.ctl) return;
    n.ctl.runtime.raft!.isolated = true;
    await n.ctl.close();
    n.ctl = null;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.crash(n.id)));
    for (const n of this.nodes) fs.rmSync(n.dir, { recursive: true, force: true });
  }
}

async function createTopic(conn: KafkaConnection, name: string, timeoutMs = 5000): Promise<number> {
  const res = await conn.send(
    ApiKey.CreateTopics,
    7,
    { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false },
    { timeoutMs },
  );
  return res.topics[0].errorCode;
}

function topicNames(n: Node): string[] {
  return [...n.ctl!.runtime.controller!.image.topics.values()].map((t) => t.name).sort();
}

describe('controller quorum (3 voters)', () => {
  let cluster: Cluster;
  const conns: KafkaConnection[] = [];
  const open = async (n: Node) => {
    const c = await connect(n.port);
    conns.push(c);
    return c;
  };

  afterEach(async () => {
    for (const c of conns.splice(0)) await c.close().catch(() => undefined);
    await cluster.close();
  });

  it('elects one leader; followers replicate, answer NOT_CONTROLLER, DescribeQuorum reports progress', async () => {
    cluster = new Cluster(19700);
    const t0 = Date.now();
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const firstElectionMs = Date.now() - t0;
    const epoch = cluster.raft(leader.id).epoch;
    await waitFor('followers', () =>
      cluster.nodes.every((n) => n.id === leader.id || (cluster.raft(n.id).role === 'follower' && cluster.raft(n.id).leaderId === leader.id && cluster.raft(n.id).epoch === epoch)),
    );

    const conn = await open(leader);
    await registerBroker(conn, 1);
    expect(await createTopic(conn, 'orders')).toBe(0);
    for (const n of cluster.nodes) {
      await waitFor(`node ${n.id} applies the topic`, () => topicNames(n).includes('orders'));
    }

    const follower = cluster.nodes.find((n) => n.id !== leader.id)!;
    const fconn = await open(follower);
    expect(await createTopic(fconn, 'other')).toBe(ErrorCode.NOT_CONTROLLER);
    const dc = await fconn.send(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
    expect(dc.controllerId).toBe(leader.id);

    const dq = await conn.send(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    const p = dq.topics[0].partitions[0];
    expect(p).toMatchObject({ errorCode: 0, leaderId: leader.id, leaderEpoch: epoch });
    expect(p.currentVoters.map((v: any) => v.replicaId).sort()).toEqual([1, 2, 3]);
    const leo = BigInt(cluster.raft(leader.id).logEndOffset);
    for (const v of p.currentVoters) expect(v.logEndOffset).toBeGreaterThan(0n);
    expect(p.highWatermark).toBeLessThanOrEqual(leo);
    expect(p.observers).toEqual([]);
    console.log(`[quorum] first election: ${firstElectionMs} ms to an active controller (election timeout ${ELECTION_MS} ms)`);
  });

  it('a crashed leader is replaced within seconds with the metadata unchanged; a restarted voter catches up', async () => {
    cluster = new Cluster(19710);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const conn = await open(leader);
    await registerBroker(conn, 1);
    for (const t of ['a', 'b', 'c']) expect(await createTopic(conn, t)).toBe(0);
    const before = topicNames(leader);
    const epochBefore = cluster.raft(leader.id).epoch;

    const t0 = Date.now();
    await cluster.crash(leader.id);
    const next = await cluster.waitForLeader(10_000);
    const failoverMs = Date.now() - t0;
    expect(next.id).not.toBe(leader.id);
    expect(cluster.raft(next.id).epoch).toBeGreaterThan(epochBefore);
    expect(topicNames(next)).toEqual(before);
    // The broker registered before the failover is still unfenced.
    expect(next.ctl!.runtime.controller!.image.brokers.get(1)?.fenced).toBe(false);

    // The new leader commits with the remaining majority.
    const conn2 = await open(next);
    expect(await createTopic(conn2, 'd')).toBe(0);

    // The crashed voter comes back, follows, and replays everything.
    await cluster.start(leader.id);
    await waitFor('restarted voter follows', () => cluster.raft(leader.id).role === 'follower' && cluster.raft(leader.id).leaderId === next.id);
    await waitFor('restarted voter catches up', () => topicNames(leader).join() === 'a,b,c,d');

    // Graceful resignation: EndQuorumEpoch lets the others elect without waiting for the fetch timeout.
    const t1 = Date.now();
    await cluster.stop(next.id);
    const third = await cluster.waitForLeader(10_000);
    const handoverMs = Date.now() - t1;
    expect(topicNames(third)).toEqual(['a', 'b', 'c', 'd']);
    console.log(
      `[quorum] leader crash -> new active controller in ${failoverMs} ms (fetch timeout ${FETCH_MS} ms, election timeout ${ELECTION_MS} ms); ` +
        `graceful resignation -> new active controller in ${handoverMs} ms`,
    );
  });

  it('a partitioned leader commits nothing and steps down; its uncommitted tail is truncated on return', async () => {
    cluster = new Cluster(19720);
    await cluster.startAll();
    const old = await cluster.waitForLeader();
    const conn = await open(old);
    await registerBroker(conn, 1);
    expect(await createTopic(conn, 'kept')).toBe(0);
    const oldEpoch = cluster.raft(old.id).epoch;

    cluster.raft(old.id).isolated = true;
    // Clients still reach it: the write is appended locally but never commits.
    const res = await createTopic(conn, 'lost', 15_000);
    expect(res).toBe(ErrorCode.NOT_CONTROLLER);
    expect(cluster.raft(old.id).role).not.toBe('leader');
    expect(cluster.raft(old.id).logEndOffset).toBeGreaterThan(cluster.raft(old.id).highWatermark);
    const others = cluster.nodes.filter((n) => n.id !== old.id);
    const next = await waitFor('a new leader among the majority', () =>
      others.find((n) => n.ctl!.runtime.controller!.active),
    );
    expect(cluster.raft(next.id).epoch).toBeGreaterThan(oldEpoch);
    expect(topicNames(old)).toEqual(['kept']);

    cluster.raft(old.id).isolated = false;
    await waitFor('old leader follows the new one', () => cluster.raft(old.id).role === 'follower' && cluster.raft(old.id).leaderId === next.id, 10_000);
    const conn2 = await open(next);
    expect(await createTopic(conn2, 'after')).toBe(0);
    await waitFor('old leader replays the new leader log', () => topicNames(old).join() === 'after,kept');
    await waitFor('logs converge', () => cluster.raft(old.id).logEndOffset === cluster.raft(next.id).logEndOffset);
    for (const n of cluster.nodes) expect(topicNames(n)).toEqual(['after', 'kept']);
  });

  it('with two of three voters down nothing is committed', async () => {
    cluster = new Cluster(19730);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const conn = await open(leader);
    await registerBroker(conn, 1);
    expect(await createTopic(conn, 'x')).toBe(0);
    const followers = cluster.nodes.filter((n) => n.id !== leader.id);
    for (const f of followers) await cluster.crash(f.id);

    const hw = cluster.raft(leader.id).highWatermark;
    expect(await createTopic(conn, 'y', 15_000)).toBe(ErrorCode.NOT_CONTROLLER);
    expect(cluster.raft(leader.id).highWatermark).toBe(hw);
    expect(cluster.raft(leader.id).role).not.toBe('leader');
    expect(topicNames(leader)).toEqual(['x']);

    // Survivor alone cannot become leader either.
    await new Promise((r) => setTimeout(r, 3 * FETCH_MS));
    expect(cluster.active()).toBeUndefined();
    await cluster.crash(leader.id);

    // The two others come back: 'y' sits only in the old leader's log, so they elect without it.
    await Promise.all(followers.map((f) => cluster.start(f.id)));
    const again = await cluster.waitForLeader();
    expect(topicNames(again)).toEqual(['x']);
    // The old leader rejoins and drops its uncommitted tail.
    await cluster.start(leader.id);
    const conn2 = await open(again);
    expect(await createTopic(conn2, 'z')).toBe(0);
    await waitFor('old leader converges', () => topicNames(leader).join() === 'x,z');
    await waitFor('logs converge', () => cluster.raft(leader.id).logEndOffset === cluster.raft(again.id).logEndOffset);
  });

  it('pre-vote: a voter cut off and rejoining does not bump the epoch', async () => {
    cluster = new Cluster(19740);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const epoch = cluster.raft(leader.id).epoch;
    const follower = cluster.nodes.find((n) => n.id !== leader.id)!;
    const raft = cluster.raft(follower.id);
    await waitFor('follower', () => raft.role === 'follower');

    raft.isolated = true;
    await waitFor('isolated voter tries pre-votes', () => raft.role === 'prospective');
    await new Promise((r) => setTimeout(r, 4 * FETCH_MS));
    expect(raft.epoch).toBe(epoch);
    expect(raft.electionsTotal).toBe(0);

    raft.isolated = false;
    await waitFor('rejoined voter follows the same leader', () => raft.role === 'follower' && raft.leaderId === leader.id, 10_000);
    await new Promise((r) => setTimeout(r, 2 * FETCH_MS));
    for (const n of cluster.nodes) expect(cluster.raft(n.id).epoch).toBe(epoch);
    expect(cluster.active()?.id).toBe(leader.id);
  });

  it('repeated leader crashes under writes lose no acknowledged write (3 voters, 6 rounds)', async () => {
    cluster = new Cluster(19760);
    await cluster.startAll();
    let leader = await cluster.waitForLeader();
    let conn = await open(leader);
    await registerBroker(conn, 1);
    const acked: string[] = [];
    const failovers: number[] = [];
    let seq = 0;
    for (let round = 0; round < 6; round++) {
      // A few acknowledged writes, one left in flight when the leader dies.
      for (let i = 0; i < 3; i++) {
        const name = `t${seq++}`;
        if ((await createTopic(conn, name)) === 0) acked.push(name);
      }
      const inflight = createTopic(conn, `t${seq++}`, 15_000).catch(() => -1);
      const t0 = Date.now();
      await cluster.crash(leader.id);
      void inflight;
      leader = await cluster.waitForLeader(10_000);
      failovers.push(Date.now() - t0);
      conn = await open(leader);
      // Everything acknowledged so far is there.
      const names = topicNames(leader);
      for (const a of acked) expect(names).toContain(a);
      // Bring the crashed one back so the next round has three voters.
      const down = cluster.nodes.find((n) => !n.ctl)!;
      await cluster.start(down.id);
    }
    // All voters converge on the same committed metadata.
    const final = await cluster.waitForLeader();
    const c = await open(final);
    expect(await createTopic(c, 'final')).toBe(0);
    for (const n of cluster.nodes) {
      await waitFor(`node ${n.id} converges`, () => topicNames(n).join() === topicNames(final).join());
    }
    for (const a of acked) expect(topicNames(final)).toContain(a);
    console.log(`[quorum] 6 crash failovers: ${failovers.join(', ')} ms; ${acked.length} acknowledged writes, 0 lost`);
  });

  it('5 voters: elects, survives two crashes, refuses to commit after a third', async () => {
    cluster = new Cluster(19780, 5);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const conn = await open(leader);
    await registerBroker(conn, 1);
    expect(await createTopic(conn, 'five')).toBe(0);
    const followers = cluster.nodes.filter((n) => n.id !== leader.id);
    await cluster.crash(followers[0].id);
    await cluster.crash(leader.id);
    const next = await cluster.waitForLeader(10_000);
    const conn2 = await open(next);
    expect(await createTopic(conn2, 'still')).toBe(0);
    expect(topicNames(next)).toEqual(['five', 'still']);
    const rest = cluster.running().filter((n) => n.id !== next.id);
    await cluster.crash(rest[0].id);
    expect(await createTopic(conn2, 'never', 15_000)).toBe(ErrorCode.NOT_CONTROLLER);
    // Metrics: runnel_controller_raft_* describe the node.
    const text = await next.ctl!.runtime.metrics.registry.metrics();
    expect(text).toMatch(/runnel_controller_raft_state\{[^}]*state="leader"[^}]*\} 0/);
    expect(text).toMatch(/runnel_controller_raft_elections_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/runnel_controller_raft_commit_latency_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toMatch(/runnel_controller_raft_election_latency_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toMatch(/runnel_controller_raft_leader_id\{[^}]*\} -1/);
    expect(text).toMatch(/runnel_controller_raft_high_watermark\{[^}]*\} [1-9]/);
  });

  it('all voters restart: the committed metadata and the epoch history survive', async () => {
    cluster = new Cluster(19790);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const conn = await open(leader);
    await registerBroker(conn, 1);
    for (const t of ['p', 'q']) expect(await createTopic(conn, t)).toBe(0);
    const epoch = cluster.raft(leader.id).epoch;
    for (const c of conns.splice(0)) await c.close().catch(() => undefined);
    for (const n of cluster.nodes) await cluster.crash(n.id);

    await cluster.startAll();
    const again = await cluster.waitForLeader();
    expect(cluster.raft(again.id).epoch).toBeGreaterThan(epoch);
    expect(topicNames(again)).toEqual(['p', 'q']);
    const c2 = await open(again);
    expect(await createTopic(c2, 'r')).toBe(0);
    for (const n of cluster.nodes) await waitFor(`node ${n.id} converges`, () => topicNames(n).join() === 'p,q,r');
  });

  it('seeded random partitions: every acknowledged write survives and the voters converge', async () => {
    cluster = new Cluster(19795);
    await cluster.startAll();
    let seed = 20261122;
    const rand = () => {
      // xorshift32: the same fault schedule on every run
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    const first = await cluster.waitForLeader();
    const c0 = await open(first);
    await registerBroker(c0, 1);
    const acked: string[] = [];
    let seq = 0;
    let ambiguous = 0;
    const byNode = new Map<number, KafkaConnection>();
    const connFor = async (n: Node) => {
      let c = byNode.get(n.id);
      if (!c || c.closed) {
        c = await open(n);
        byNode.set(n.id, c);
      }
      return c;
    };
    for (let step = 0; step < 8; step++) {
      // Cut off at most one voter at a time (a majority stays connected), the current leader half the time.
      const r = rand();
      const act0 = cluster.active();
      const victim = r < 0.5 && act0 ? act0.id : r < 0.85 ? cluster.nodes[Math.floor(rand() * 3)].id : -1;
      for (const n of cluster.nodes) cluster.raft(n.id).isolated = n.id === victim;
      const deadline = Date.now() + 600 + Math.floor(rand() * 1800);
      // Writes go to whichever node is active, the isolated one included (it must not acknowledge them).
      while (Date.now() < deadline) {
        const act = cluster.active();
        if (!act) {
          await new Promise((res) => setTimeout(res, 30));
          continue;
        }
        const name = `s${seq++}`;
        const code = await createTopic(await connFor(act), name, 10_000).catch(() => -1);
        if (code === 0) acked.push(name);
        else ambiguous++;
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    for (const n of cluster.nodes) cluster.raft(n.id).isolated = false;
    const leader = await cluster.waitForLeader();
    const c = await open(leader);
    expect(await createTopic(c, 'end')).toBe(0);
    for (const n of cluster.nodes) {
      await waitFor(`node ${n.id} converges`, () => topicNames(n).join() === topicNames(leader).join(), 20_000);
    }
    for (const a of acked) expect(topicNames(leader)).toContain(a);
    // No divergence: every voter's log has the leader's bytes up to the high watermark.
    const hw = cluster.raft(leader.id).highWatermark;
    const read = async (id: number) => Buffer.concat((await cluster.raft(id).readCommitted(0, 64 << 20)).chunks);
    await waitFor('followers reach the high watermark', () => cluster.nodes.every((n) => cluster.raft(n.id).highWatermark >= hw));
    const ref = (await read(leader.id)).subarray(0);
    for (const n of cluster.nodes) {
      const mine = await read(n.id);
      expect(mine.subarray(0, Math.min(mine.length, ref.length)).equals(ref.subarray(0, Math.min(mine.length, ref.length)))).toBe(true);
    }
    console.log(`[quorum] random partitions: ${acked.length} acknowledged writes, 0 lost; ${ambiguous} refused or timed out; final epoch ${cluster.raft(leader.id).epoch}`);
  });
});
