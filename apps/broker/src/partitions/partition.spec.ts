import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog } from '@runnel/storage';
import { encodeRecordBatch } from '@runnel/protocol';
import type { PartitionImage } from '@runnel/metadata';
import { IsrState, Partition, PartitionEnv } from './partition';

const batch = (n: number): Buffer =>
  encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1_700_000_000_000 })) });

function image(o: Partial<PartitionImage>): PartitionImage {
  return {
    topicId: 'tid',
    topicName: 't',
    partition: 0,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
    removingReplicas: [],
    addingReplicas: [],
    leader: 1,
    leaderEpoch: 0,
    partitionEpoch: 0,
    leaderRecoveryState: 0,
    eligibleLeaderReplicas: null,
    lastKnownElr: null,
    ...o,
  };
}

class Env implements PartitionEnv {
  clock = 1_000_000;
  minIsr = 2;
  requests: number[][] = [];
  answer: (isr: number[]) => IsrState | null = () => null;
  rewritten = 0;
  constructor(readonly nodeId: number) {}
  minInsyncReplicas(): number {
    return this.minIsr;
  }
  brokerUsable(): boolean {
    return true;
  }
  alterIsr(_p: Partition, isr: number[]): Promise<IsrState | null> {
    this.requests.push(isr);
    return Promise.resolve(this.answer(isr));
  }
  onLogRewritten(): void {
    this.rewritten++;
  }
  now(): number {
    return this.clock;
  }
}

describe('Partition replication state', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-partition-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const open = async (name: string) => PartitionLog.open({ dir: path.join(dir, name, 't-0'), topic: 't', partition: 0 });

  it('moves the high watermark to the smallest log end over the ISR and completes acks=all waits then', async () => {
    const env = new Env(1);
    const p = new Partition('t', 0, 'tid', await open('leader'), env);
    p.updateFromImage(image({}), 'tid');
    const res = await p.appendAsLeader(batch(5));
    expect(p.highWatermark).toBe(0);
    const wait = p.waitForCommit(res.lastOffset + 1, 10_000);
    p.recordFollowerFetch(2, 5);
    expect(p.highWatermark).toBe(0); // replica 3 has not fetched yet
    p.recordFollowerFetch(3, 3);
    expect(p.highWatermark).toBe(3);
    p.recordFollowerFetch(3, 5);
    expect(p.highWatermark).toBe(5);
    await expect(wait).resolves.toBe('committed');
    await p.log.close();
  });

  it('shrinks the ISR of a follower that stopped catching up, and does not advance below min.insync.replicas', async () => {
    const env = new Env(1);
    env.answer = (isr) => ({ leaderEpoch: 0, partitionEpoch: 1, isr });
    const p = new Partition('t', 0, 'tid', await open('leader'), env);
    p.updateFromImage(image({}), 'tid');
    await p.appendAsLeader(batch(2));
    p.recordFollowerFetch(2, 2);
    env.clock += 20_000;
    p.maybeShrinkIsr(30_000);
    expect(env.requests).toEqual([]);
    env.clock += 15_000; // replica 3 never fetched: 35 s since leadership began
    p.recordFollowerFetch(2, 2);
    p.maybeShrinkIsr(30_000);
    expect(env.requests).toEqual([[1, 2]]);
    await new Promise((r) => setImmediate(r));
    expect(p.isr).toEqual([1, 2]);
    expect(p.partitionEpoch).toBe(1);
    expect(p.highWatermark).toBe(2);

    // Now replica 2 lags too: ISR [1] is below min.insync.replicas=2, so the mark stays and acks=all fails.
    const res = await p.appendAsLeader(batch(1));
    const wait = p.waitForCommit(res.lastOffset + 1, 10_000);
    env.answer = (isr) => ({ leaderEpoch: 0, partitionEpoch: 2, isr });
    env.clock += 31_000;
    p.maybeShrinkIsr(30_000);
    await new Promise((r) => setImmediate(r));
    expect(p.isr).toEqual([1]);
    await expect(wait).resolves.toBe('not-enough-replicas');
    expect(p.highWatermark).toBe(2);
    await p.log.close();
  });

  it('adds a follower back to the ISR once it reaches the high watermark in the current epoch', async () => {
    const env = new Env(1);
    env.answer = (isr) => ({ leaderEpoch: 0, partitionEpoch: 1, isr });
    const p = new Partition('t', 0, 'tid', await open('leader'), env);
    p.updateFromImage(image({ isr: [1, 2] }), 'tid');
    await p.appendAsLeader(batch(4));
    p.recordFollowerFetch(2, 4);
    expect(p.highWatermark).toBe(4);
    p.recordFollowerFetch(3, 1);
    expect(env.requests).toEqual([]);
    p.recordFollowerFetch(3, 4);
    expect(env.requests).toEqual([[1, 2, 3]]);
    await new Promise((r) => setImmediate(r));
    expect(p.isr).toEqual([1, 2, 3]);
    await p.log.close();
  });

  it('a leader that loses leadership fails its acks=all waits and stops taking appends', async () => {
    const env = new Env(1);
    const p = new Partition('t', 0, 'tid', await open('leader'), env);
    p.updateFromImage(image({}), 'tid');
    const res = await p.appendAsLeader(batch(1));
    const wait = p.waitForCommit(res.lastOffset + 1, 10_000);
    p.updateFromImage(image({ leader: 2, leaderEpoch: 1, partitionEpoch: 1 }), 'tid');
    await expect(wait).resolves.toBe('not-leader');
    await expect(p.appendAsLeader(batch(1))).rejects.toThrow(/no longer the leader/);
    expect(p.isFollower()).toBe(true);
    await p.log.close();
  });

  it('a follower keeps the leader\'s bytes, offsets and epochs, and a diverged tail is found through the epoch cache', async () => {
    const leaderEnv = new Env(1);
    const leader = new Partition('t', 0, 'tid', await open('leader'), leaderEnv);
    leader.updateFromImage(image({ leaderEpoch: 3 }), 'tid');
    await leader.appendAsLeader(batch(3));
    const followerEnv = new Env(2);
    const follower = new Partition('t', 0, 'tid', await open('follower'), followerEnv);
    follower.updateFromImage(image({ leaderEpoch: 3 }), 'tid');
    const read = await leader.log.read(0, 1 << 20, { maxOffset: leader.logEndOffset });
    const bytes = Buffer.concat(read.chunks);
    read.release();
    expect(await follower.appendAsFollower(bytes, 2)).toBeNull(); // stale epoch: ignored
    await follower.appendAsFollower(bytes, 3);
    expect(follower.logEndOffset).toBe(3);
    expect(follower.log.latestEpoch).toBe(3);
    follower.updateFollowerHighWatermark(10);
    expect(follower.highWatermark).toBe(3);

    // The follower becomes leader in epoch 4 and writes two records nobody else has. Its epoch cache says epoch 3
    // ends at 3: that is where a replica which took other records after epoch 3 cuts its log.
    follower.updateFromImage(image({ leader: 2, leaderEpoch: 4, partitionEpoch: 1 }), 'tid');
    await follower.appendAsLeader(batch(2));
    expect(follower.log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 3 });
    expect(follower.log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 5 });
    await follower.truncateTo(3);
    expect(follower.logEndOffset).toBe(3);
    expect(followerEnv.rewritten).toBeGreaterThan(0);
    await leader.log.close();
    await follower.log.close();
  });
});
