import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog } from '@runnel/storage';
import { MetadataImage, replayMetadataBatches } from '@runnel/metadata';
import { ErrorCode, RecordBatchView, decodeControlRecordKey, decodeMessage, decodeRecordBatch } from '@runnel/protocol';
import { QuorumStateStore } from './quorum-state';
import { NotLeaderError, RaftClient } from './raft-client';

process.env.RUNNEL_LOG_LEVEL ??= 'error';

async function openLog(dir: string): Promise<PartitionLog> {
  return PartitionLog.open({ dir: path.join(dir, '__cluster_metadata-0'), topic: '__cluster_metadata', partition: 0 });
}

function batches(chunks: Buffer[]): RecordBatchView[] {
  const out: RecordBatchView[] = [];
  for (const buf of chunks) {
    let pos = 0;
    while (pos + 12 <= buf.length) {
      const v = new RecordBatchView(buf, pos);
      out.push(v);
      pos += v.totalSize;
    }
  }
  return out;
}

describe('RaftClient (single voter)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-raft-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const client = (log: PartitionLog, voters = [1]) =>
    new RaftClient({ nodeId: 1, voters, log, stateStore: new QuorumStateStore(path.join(dir, '__cluster_metadata-0')) });

  it('elects itself, persists the vote and leadership, and commits the LeaderChangeMessage first', async () => {
    const log = await openLog(dir);
    const raft = client(log);
    const seen: number[] = [];
    raft.onHighWatermark((hw) => seen.push(hw));
    await raft.start();
    expect(raft.role).toBe('leader');
    expect(raft.epoch).toBe(1);
    expect(raft.epochStartOffset).toBe(0);
    expect(raft.highWatermark).toBe(1);
    expect(seen).toEqual([1]);
    const state = new QuorumStateStore(path.join(dir, '__cluster_metadata-0')).read();
    expect(state).toMatchObject({ leaderId: 1, leaderEpoch: 1, votedId: 1, currentVoters: [{ voterId: 1 }] });

    const read = await raft.readCommitted(0, 1 << 20);
    const [control] = batches(read.chunks);
    expect(control.isControl).toBe(true);
    expect(control.partitionLeaderEpoch).toBe(1);
    const rec = decodeRecordBatch(control).records[0];
    expect(decodeControlRecordKey(rec.key).type).toBe(2);
    expect(decodeMessage('LeaderChangeMessage', 0, rec.value!)).toMatchObject({ leaderId: 1, voters: [{ voterId: 1 }], grantingVoters: [{ voterId: 1 }] });
    await raft.close();
    await log.close();
  });

  it('appends records in the current epoch and resolves once committed; restarts in a new epoch', async () => {
    let log = await openLog(dir);
    let raft = client(log);
    await raft.start();
    const r = await raft.append([
      { name: 'TopicRecord', data: { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAg' } },
      { name: 'PartitionRecord', data: { partitionId: 0, topicId: 'AAAAAAAAAAAAAAAAAAAAAg', replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 } },
    ]);
    expect(r).toEqual({ baseOffset: 1, lastOffset: 2 });
    expect(raft.highWatermark).toBe(3);
    await raft.close();
    await expect(raft.append([{ name: 'NoOpRecord', data: {} }])).rejects.toBeInstanceOf(NotLeaderError);
    await log.close();

    log = await openLog(dir);
    raft = client(log);
    await raft.start();
    expect(raft.epoch).toBe(2);
    expect(raft.epochStartOffset).toBe(3);
    expect(raft.highWatermark).toBe(4);
    const image = new MetadataImage({ strict: true });
    const read = await raft.readCommitted(0, 1 << 20);
    replayMetadataBatches(image, read.chunks);
    expect(image.offset).toBe(3);
    expect(image.epoch).toBe(2);
    expect(image.partition('t', 0)).toMatchObject({ leader: 1 });
    expect((await raft.endOffsetForEpoch(1))).toEqual({ epoch: 1, endOffset: 3 });
    await raft.close();
    await log.close();
  });

  it('never reuses an epoch even if the quorum-state file is lost', async () => {
    let log = await openLog(dir);
    let raft = client(log);
    await raft.start();
    await raft.close();
    await log.close();
    log = await openLog(dir);
    raft = client(log);
    await raft.start(); // epoch 2
    await raft.close();
    await log.close();
    fs.unlinkSync(path.join(dir, '__cluster_metadata-0', 'quorum-state'));
    log = await openLog(dir);
    raft = client(log);
    await raft.start();
    expect(raft.epoch).toBe(3);
    await raft.close();
    await log.close();
  });

  it('refuses a corrupt quorum-state file, multi-voter quorums without a transport, and non-voters', async () => {
    const log = await openLog(dir);
    fs.writeFileSync(path.join(dir, '__cluster_metadata-0', 'quorum-state'), '{"leaderEpoch":"x"');
    await expect(client(log).start()).rejects.toThrow();
    fs.writeFileSync(path.join(dir, '__cluster_metadata-0', 'quorum-state'), JSON.stringify({ leaderId: 1, leaderEpoch: 'x', votedId: 1 }));
    await expect(client(log).start()).rejects.toThrow(/leaderEpoch/);
    fs.unlinkSync(path.join(dir, '__cluster_metadata-0', 'quorum-state'));
    await expect(client(log, [1, 2, 3]).start()).rejects.toThrow(/needs a Raft transport/);
    expect(() => client(log, [2])).toThrow(/not in controller.quorum.voters/);
    await log.close();
  });

  it('waitForHighWatermark times out and resolves false on close', async () => {
    const log = await openLog(dir);
    const raft = client(log);
    await raft.start();
    await expect(raft.waitForHighWatermark(100, 20)).resolves.toBe(false);
    const pending = raft.waitForHighWatermark(100, 10_000);
    await raft.close();
    await expect(pending).resolves.toBe(false);
    await log.close();
  });
});

describe('RaftClient (voter RPCs, 3 voters)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-raft3-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // A transport to nowhere and timers far away: only the RPC handlers act.
  const quiet = { send: () => Promise.reject(new Error('no network')), close: async () => undefined };
  const stateDir = () => path.join(dir, '__cluster_metadata-0');
  const make = (log: PartitionLog) =>
    new RaftClient({
      nodeId: 1,
      voters: [1, 2, 3],
      log,
      stateStore: new QuorumStateStore(stateDir()),
      clusterId: 'c1',
      transport: quiet,
      electionTimeoutMs: 60_000,
      fetchTimeoutMs: 60_000,
    });
  const stored = () => new QuorumStateStore(stateDir()).read();
  const vote = (candidateId: number, candidateEpoch: number, preVote = false, lastOffsetEpoch = 0, lastOffset = 0) => ({
    clusterId: 'c1',
    candidateId,
    candidateEpoch,
    lastOffsetEpoch,
    lastOffset,
    preVote,
  });

  it('pre-votes change nothing; a vote is persisted before the answer and given once per epoch', async () => {
    const log = await openLog(dir);
    const raft = make(log);
    await raft.start();
    expect(raft.role).toBe('unattached');
    expect(raft.epoch).toBe(0);

    await expect(raft.handleVote(vote(2, 1, true))).resolves.toMatchObject({ voteGranted: true, errorCode: 0 });
    expect(raft.epoch).toBe(0);
    expect(stored()).toBeNull(); // nothing written for a pre-vote

    await expect(raft.handleVote(vote(2, 1))).resolves.toMatchObject({ voteGranted: true, leaderEpoch: 1 });
    expect(stored()).toMatchObject({ leaderEpoch: 1, votedId: 2, leaderId: -1 });
    // Same epoch, another candidate: refused; the same candidate again: granted (idempotent).
    await expect(raft.handleVote(vote(3, 1))).resolves.toMatchObject({ voteGranted: false });
    await expect(raft.handleVote(vote(2, 1))).resolves.toMatchObject({ voteGranted: true });
    // Stale epoch: fenced.
    await expect(raft.handleVote(vote(3, 0))).resolves.toMatchObject({ voteGranted: false, errorCode: ErrorCode.FENCED_LEADER_EPOCH });
    // Pre-vote for an epoch we are already in: refused without state change.
    await expect(raft.handleVote(vote(3, 1, true))).resolves.toMatchObject({ voteGranted: false, leaderEpoch: 1 });

    // BeginQuorumEpoch makes us a follower (persisted); now pre-votes are refused while the leader is heard from.
    expect(raft.handleBeginQuorumEpoch('c1', 2, 1)).toMatchObject({ errorCode: 0, leaderId: 2, leaderEpoch: 1 });
    expect(raft.role).toBe('follower');
    expect(stored()).toMatchObject({ leaderEpoch: 1, leaderId: 2, votedId: 2 });
    await expect(raft.handleVote(vote(3, 2, true))).resolves.toMatchObject({ voteGranted: false, leaderId: 2 });
    expect(raft.handleBeginQuorumEpoch('c1', 3, 0)).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH });
    // Other cluster, non-voter: refused.
    await expect(raft.handleVote({ ...vote(3, 5), clusterId: 'other' })).resolves.toMatchObject({ errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID });
    await expect(raft.handleVote(vote(9, 5))).resolves.toMatchObject({ errorCode: ErrorCode.INCONSISTENT_VOTER_SET });

    // EndQuorumEpoch from our leader: unattached in the same epoch, ready to elect.
    expect(raft.handleEndQuorumEpoch('c1', 2, 1, [1, 3])).toMatchObject({ errorCode: 0, leaderId: -1, leaderEpoch: 1 });
    expect(raft.role).toBe('unattached');
    await raft.close();
    await log.close();
  });

  it('refuses candidates whose log is behind ours', async () => {
    const log = await openLog(dir);
    const raft = make(log);
    await raft.start();
    // Give our log an entry of epoch 3 (as a follower would have replicated it).
    const { encodeRecordBatch } = await import('@runnel/protocol');
    await log.append(encodeRecordBatch({ baseOffset: 0, partitionLeaderEpoch: 3, records: [{ key: null, value: Buffer.from('x') }] }), {
      leaderEpoch: 3,
      assignOffsets: false,
    });
    await expect(raft.handleVote(vote(2, 4, true, 2, 10))).resolves.toMatchObject({ voteGranted: false }); // older last epoch
    await expect(raft.handleVote(vote(2, 4, true, 3, 0))).resolves.toMatchObject({ voteGranted: false }); // shorter
    await expect(raft.handleVote(vote(2, 4, true, 3, 1))).resolves.toMatchObject({ voteGranted: true });
    await expect(raft.handleVote(vote(2, 4, false, 3, 0))).resolves.toMatchObject({ voteGranted: false });
    expect(stored()).toMatchObject({ leaderEpoch: 4, votedId: -1 }); // epoch moved, no vote given
    await expect(raft.handleVote(vote(3, 4, false, 4, 0))).resolves.toMatchObject({ voteGranted: true });
    expect(stored()).toMatchObject({ leaderEpoch: 4, votedId: 3 });
    await raft.close();
    await log.close();
  });
});
