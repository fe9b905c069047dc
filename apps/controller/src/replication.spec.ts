import * as fs from 'node:fs';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import { RunningController } from './bootstrap';
import { connect, heartbeat, registerBroker, startTestController, tempDir } from './testing/harness';

jest.setTimeout(30_000);

// AlterPartition, ElectLeaders, unclean election and the rebalance check over the controller's listener.
describe('replication APIs on the controller', () => {
  let dir: string;
  let ctl: RunningController;
  let conn: KafkaConnection;
  const epochs = new Map<number, number>();

  beforeAll(async () => {
    dir = tempDir();
    ctl = await startTestController(dir);
    conn = await connect(ctl.port);
    for (const id of [1, 2, 3]) epochs.set(id, await registerBroker(conn, id));
    const res = await conn.send(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'r', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] },
        {
          name: 'u',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [3, 2] }],
          configs: [{ name: 'unclean.leader.election.enable', value: 'true' }],
        },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(res.topics.map((t: any) => t.errorCode)).toEqual([0, 0]);
  });

  afterAll(async () => {
    await conn?.close();
    await ctl?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const image = () => ctl.runtime.controller!.image;
  const part = (t: string) => image().partition(t, 0)!;
  const alter = (version: number, brokerId: number, topic: string, p: { leaderEpoch: number; partitionEpoch: number; isr: number[] }, brokerEpoch = epochs.get(brokerId)!) =>
    conn.send(ApiKey.AlterPartition, version, {
      brokerId,
      brokerEpoch: BigInt(brokerEpoch),
      topics: [
        {
          topicName: topic,
          topicId: image().topic(topic)?.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAQ',
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: p.leaderEpoch,
              partitionEpoch: p.partitionEpoch,
              newIsr: p.isr,
              newIsrWithEpochs: p.isr.map((id) => ({ brokerId: id, brokerEpoch: BigInt(epochs.get(id) ?? -1) })),
              leaderRecoveryState: 0,
            },
          ],
        },
      ],
    });

  it('advertises AlterPartition 0-3 and ElectLeaders 0-2', () => {
    const v = ctl.runtime.listener!.apiVersions();
    expect(v).toContainEqual({ apiKey: ApiKey.AlterPartition, minVersion: 0, maxVersion: 3 });
    expect(v).toContainEqual({ apiKey: ApiKey.ElectLeaders, minVersion: 0, maxVersion: 2 });
  });

  it('AlterPartition shrinks the ISR without bumping the leader epoch and answers the committed state', async () => {
    const res = await alter(3, 1, 'r', { leaderEpoch: 0, partitionEpoch: 0, isr: [1, 2] });
    expect(res.errorCode).toBe(0);
    expect(res.topics[0].partitions[0]).toMatchObject({ errorCode: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2], leaderRecoveryState: 0, partitionEpoch: 1 });
    expect(part('r')).toMatchObject({ isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
  });

  it('AlterPartition errors at every version', async () => {
    expect((await alter(1, 1, 'r', { leaderEpoch: 0, partitionEpoch: 0, isr: [1] })).topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect((await alter(0, 2, 'r', { leaderEpoch: 0, partitionEpoch: 1, isr: [2] })).topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await alter(2, 1, 'nope', { leaderEpoch: 0, partitionEpoch: 1, isr: [1] })).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect((await alter(1, 1, 'nope', { leaderEpoch: 0, partitionEpoch: 1, isr: [1] })).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const stale = await alter(3, 1, 'r', { leaderEpoch: 0, partitionEpoch: 1, isr: [1] }, 12345);
    expect(stale).toMatchObject({ errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] });
    expect(part('r').partitionEpoch).toBe(1);
  });

  it('fencing a leader elects cleanly from the ISR, or uncleanly where the topic allows it', async () => {
    // u-0: replicas 3,2; shrink to leader 3 alone, then fence 3: the out-of-ISR replica 2 leads RECOVERING.
    await alter(3, 3, 'u', { leaderEpoch: 0, partitionEpoch: 0, isr: [3] });
    await heartbeat(conn, 3, epochs.get(3)!, 0, { wantFence: true });
    expect(part('u')).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: 1, leaderEpoch: 1 });
    await heartbeat(conn, 1, epochs.get(1)!, 0, { wantFence: true });
    expect(part('r')).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1 });
  });

  it('ElectLeaders: preferred once the preferred replica is back in the ISR; unclean only for leaderless partitions', async () => {
    const notYet = await conn.send(ApiKey.ElectLeaders, 1, { electionType: 0, topicPartitions: [{ topic: 'r', partitions: [0] }], timeoutMs: 1000 });
    expect(notYet.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    const hb = await heartbeat(conn, 1, epochs.get(1)!, image().offset);
    expect(hb.isFenced).toBe(false);
    const p = part('r');
    await alter(2, 2, 'r', { leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [2, 1] });
    const res = await conn.send(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    expect(res.errorCode).toBe(0);
    // u-0 prefers the fenced broker 3: reported, not elected.
    expect(res.replicaElectionResults.map((t: any) => [t.topic, t.partitionResult[0].errorCode])).toEqual([
      ['r', 0],
      ['u', ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
    ]);
    expect(part('r')).toMatchObject({ leader: 1, leaderEpoch: 2 });
    const again = await conn.send(ApiKey.ElectLeaders, 0, { topicPartitions: [{ topic: 'r', partitions: [0] }], timeoutMs: 1000 });
    expect(again.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    const unclean = await conn.send(ApiKey.ElectLeaders, 2, { electionType: 1, topicPartitions: [{ topic: 'r', partitions: [0] }], timeoutMs: 1000 });
    expect(unclean.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);
  });

  it('the rebalance check moves leadership back to preferred replicas', async () => {
    // u-0 prefers 3 (fenced, so nothing moves yet); unfence it and let it rejoin the ISR.
    expect(await ctl.runtime.rebalancer!.check()).toBe(0);
    await heartbeat(conn, 3, epochs.get(3)!, image().offset);
    const p = part('u');
    const res = await alter(3, 2, 'u', { leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [2, 3] });
    expect(res.topics[0].partitions[0]).toMatchObject({ errorCode: 0, leaderRecoveryState: 0, isr: [2, 3] });
    expect(await ctl.runtime.rebalancer!.check()).toBe(1);
    expect(part('u').leader).toBe(3);
  });

  it('exposes election and imbalance metrics', async () => {
    const text = await ctl.runtime.metrics.registry.metrics();
    expect(text).toMatch(/runnel_controller_leader_elections_total\{type="preferred"[^}]*\} 2/);
    expect(text).toMatch(/runnel_controller_leader_elections_total\{type="unclean"[^}]*\} 1/);
    expect(text).toMatch(/runnel_controller_leader_elections_total\{type="clean"[^}]*\} [1-9]/);
    expect(text).toMatch(/runnel_controller_preferred_replica_imbalance\{[^}]*\} 0/);
    expect(text).toMatch(/runnel_controller_active_brokers\{[^}]*\} 3/);
  });
});
