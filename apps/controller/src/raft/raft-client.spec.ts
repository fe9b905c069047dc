import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog } from '@runnel/storage';
import { MetadataImage, replayMetadataBatches } from '@runnel/metadata';
import { RecordBatchView, decodeControlRecordKey, decodeMessage, decodeRecordBatch } from '@runnel/protocol';
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
