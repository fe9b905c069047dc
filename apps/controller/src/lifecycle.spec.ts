import * as fs from 'node:fs';
import * as path from 'node:path';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import { RunningController } from './bootstrap';
import { connect, heartbeat, registerBroker, startTestController, tempDir } from './testing/harness';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('broker registration, heartbeats and fencing', () => {
  let dir: string;
  let ctl: RunningController;
  let conn: KafkaConnection;
  const SESSION_MS = 1500;

  beforeAll(async () => {
    dir = tempDir();
    ctl = await startTestController(dir, { 'broker.session.timeout.ms': SESSION_MS });
    conn = await connect(ctl.port);
  });

  afterAll(async () => {
    await conn?.close();
    await ctl?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const image = () => ctl.runtime.controller!.image;

  it('a registered broker stays fenced until its heartbeat shows it caught up', async () => {
    const epoch = await registerBroker(conn, 5, { unfence: false });
    expect(image().brokers.get(5)).toMatchObject({ epoch, fenced: true });
    const behind = await heartbeat(conn, 5, epoch, epoch - 1);
    expect(behind).toMatchObject({ errorCode: 0, isCaughtUp: false, isFenced: true });
    const caught = await heartbeat(conn, 5, epoch, epoch);
    expect(caught).toMatchObject({ errorCode: 0, isCaughtUp: true, isFenced: false });
    expect(image().brokers.get(5)!.fenced).toBe(false);
  });

  it('rejects heartbeats from unknown brokers and stale epochs, registrations with another cluster id', async () => {
    expect((await heartbeat(conn, 77, 1, 1)).errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
    expect((await heartbeat(conn, 5, 99999, 1)).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    const res = await conn.send(ApiKey.BrokerRegistration, 2, {
      brokerId: 6,
      clusterId: 'someOtherClusterIdxxxx',
      incarnationId: 'AAAAAAAAAAAAAAAAAAAAEQ',
      listeners: [],
      features: [],
      rack: null,
    });
    expect(res.errorCode).toBe(ErrorCode.INCONSISTENT_CLUSTER_ID);
  });

  it('refuses a second incarnation while the first session is alive', async () => {
    const res = await conn.send(ApiKey.BrokerRegistration, 2, {
      brokerId: 5,
      clusterId: ctl.clusterId,
      incarnationId: 'AAAAAAAAAAAAAAAAAAAAIQ',
      listeners: [],
      features: [],
      rack: null,
    });
    expect(res.errorCode).toBe(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
  });

  it('fences a broker after broker.session.timeout.ms without heartbeats and moves its leaderships', async () => {
    const e7 = await registerBroker(conn, 7);
    const e8 = await registerBroker(conn, 8);
    const created = await conn.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'fence-me', numPartitions: 4, replicationFactor: 2, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(0);
    // Keep 7 and 8 alive for a while; let 5 expire (it stopped heartbeating after the first test).
    const t0 = Date.now();
    const keepAlive = setInterval(() => {
      void heartbeat(conn, 7, e7, image().offset);
      void heartbeat(conn, 8, e8, image().offset);
    }, 100);
    try {
      await sleep(SESSION_MS * 2.5);
      expect(image().brokers.get(5)!.fenced).toBe(true);
      expect(image().brokers.get(7)!.fenced).toBe(false);
      // Now stop 8: its partitions move to 7 (still in ISR), and 8 leaves every ISR.
      clearInterval(keepAlive);
      const keep7 = setInterval(() => void heartbeat(conn, 7, e7, image().offset), 100);
      const stopped = Date.now();
      while (!image().brokers.get(8)!.fenced && Date.now() - stopped < 10_000) await sleep(20);
      clearInterval(keep7);
      const fencedAfter = Date.now() - stopped;
      expect(fencedAfter).toBeGreaterThanOrEqual(SESSION_MS - 50);
      expect(fencedAfter).toBeLessThan(SESSION_MS + 3000);
      for (const p of image().topic('fence-me')!.partitions) {
        expect(p.leader).not.toBe(8);
        // 8 leaves every ISR, except as the last member (then the partition has no leader, like Kafka).
        if (p.isr.includes(8)) expect(p).toMatchObject({ isr: [8], leader: -1 });
        else expect(p.leader).toBe(7);
      }
      expect(Date.now() - t0).toBeGreaterThan(0);
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('a fenced broker that heartbeats again is unfenced and regains leaderless partitions', async () => {
    // Only 7 and 8 host 'solo'; fence both and make 7 come back.
    const e7 = image().brokers.get(7)!.epoch;
    const e8 = image().brokers.get(8)!.epoch;
    await heartbeat(conn, 7, e7, image().offset);
    const created = await conn.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'solo', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(0);
    const before = image().partition('solo', 0)!;
    expect(before.leader).toBe(7);
    const fenced = await heartbeat(conn, 7, e7, image().offset, { wantFence: true });
    expect(fenced.isFenced).toBe(true);
    const mid = image().partition('solo', 0)!;
    expect(mid).toMatchObject({ leader: -1, isr: [7] });
    expect(image().offlinePartitionCount()).toBeGreaterThan(0);
    const back = await heartbeat(conn, 7, e7, image().offset);
    expect(back.isFenced).toBe(false);
    const after = image().partition('solo', 0)!;
    expect(after.leader).toBe(7);
    expect(after.leaderEpoch).toBe(before.leaderEpoch + 2);
    void e8;
  });

  it('controlled shutdown: wantShutDown moves leadership away and fences at once', async () => {
    const e7 = image().brokers.get(7)!.epoch;
    const r = await heartbeat(conn, 7, e7, image().offset, { wantShutDown: true });
    expect(r).toMatchObject({ errorCode: 0, shouldShutDown: true, isFenced: true });
    expect(image().brokers.get(7)).toMatchObject({ fenced: true, inControlledShutdown: true });
    expect(image().partition('solo', 0)!.leader).toBe(-1);
  });

  it('a restarted broker re-registers with a new epoch and is unfenced again', async () => {
    const old = image().brokers.get(7)!.epoch;
    const epoch = await registerBroker(conn, 7);
    expect(epoch).toBeGreaterThan(old);
    expect(image().brokers.get(7)).toMatchObject({ fenced: false, inControlledShutdown: false, epoch });
    expect(image().partition('solo', 0)!.leader).toBe(7);
    expect((await heartbeat(conn, 7, old, image().offset)).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
  });

  it('UnregisterBroker removes a broker', async () => {
    const r = await conn.send(ApiKey.UnregisterBroker, 0, { brokerId: 5 });
    expect(r.errorCode).toBe(0);
    expect(image().brokers.has(5)).toBe(false);
    const again = await conn.send(ApiKey.UnregisterBroker, 0, { brokerId: 5 });
    expect(again.errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
  });
  it('controlled shutdown completes only once the other active brokers have applied the leadership moves', async () => {
    const e9 = await registerBroker(conn, 9);
    await registerBroker(conn, 10);
    const created = await conn.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'handover', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [9, 10] }], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(0);
    expect(image().partition('handover', 0)!.leader).toBe(9);
    const first = await heartbeat(conn, 9, e9, image().offset, { wantShutDown: true });
    expect(first).toMatchObject({ errorCode: 0, shouldShutDown: false, isFenced: true });
    expect(image().partition('handover', 0)!.leader).toBe(10);
    expect(image().brokers.get(9)).toMatchObject({ inControlledShutdown: true });
    const offsetBeforeRetry = image().offset;
    // Still waiting while another broker hasn't reported the offset; no new records for the retry.
    expect((await heartbeat(conn, 9, e9, image().offset, { wantShutDown: true })).shouldShutDown).toBe(false);
    expect(image().offset).toBe(offsetBeforeRetry);
    for (const b of image().brokers.values()) {
      if (b.id !== 9 && !b.fenced) await heartbeat(conn, b.id, b.epoch, image().offset);
    }
    expect((await heartbeat(conn, 9, e9, image().offset, { wantShutDown: true })).shouldShutDown).toBe(true);
  });
});

describe('metadata log persistence across restarts', () => {
  it('keeps topics, configs and brokers; bumps the Raft epoch; appends a LeaderChangeMessage', async () => {
    const dir = tempDir();
    try {
      let ctl = await startTestController(dir);
      let conn = await connect(ctl.port);
      await registerBroker(conn, 1);
      const created = await conn.send(ApiKey.CreateTopics, 7, {
        topics: [
          { name: 'keep-me', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '12345' }] },
          { name: 'drop-me', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      });
      expect(created.topics.map((t: any) => t.errorCode)).toEqual([0, 0]);
      await conn.send(ApiKey.DeleteTopics, 4, { topicNames: ['drop-me'], timeoutMs: 1000 });
      const before = ctl.runtime.controller!.image;
      const topicId = before.topic('keep-me')!.topicId;
      const clusterId = ctl.clusterId;
      const offset = before.offset;
      const epoch1 = ctl.runtime.raft!.epoch;
      await conn.close();
      await ctl.close();

      ctl = await startTestController(dir);
      conn = await connect(ctl.port);
      const img = ctl.runtime.controller!.image;
      expect(ctl.clusterId).toBe(clusterId);
      expect(ctl.runtime.raft!.epoch).toBe(epoch1 + 1);
      // Everything before plus the new epoch's LeaderChangeMessage.
      expect(img.offset).toBe(offset + 1);
      expect(img.topic('keep-me')!.topicId).toBe(topicId);
      expect(img.topic('keep-me')!.partitions).toHaveLength(3);
      expect(img.topicConfig('keep-me', 'retention.ms')).toBe('12345');
      expect(img.topics.has('drop-me')).toBe(false);
      expect(img.brokers.get(1)).toBeDefined();
      const qs = JSON.parse(fs.readFileSync(path.join(dir, '__cluster_metadata-0', 'quorum-state'), 'utf8'));
      expect(qs).toMatchObject({ leaderId: 1, leaderEpoch: epoch1 + 1, votedId: 1 });
      // The same name cannot be created twice across restarts.
      const again = await conn.send(ApiKey.CreateTopics, 7, {
        topics: [{ name: 'keep-me', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 1000,
        validateOnly: false,
      });
      expect(again.topics[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
      await conn.close();
      await ctl.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a killed broker re-register at once after a controller restart, then guards its new session', async () => {
    const dir = tempDir();
    try {
      let ctl = await startTestController(dir);
      let conn = await connect(ctl.port);
      await registerBroker(conn, 1);
      await conn.close();
      await ctl.close(); // the broker never shut down: the log still shows it unfenced
      ctl = await startTestController(dir);
      conn = await connect(ctl.port);
      expect(ctl.runtime.controller!.image.brokers.get(1)!.fenced).toBe(false);
      const epoch = await registerBroker(conn, 1);
      expect(ctl.runtime.controller!.image.brokers.get(1)).toMatchObject({ epoch, fenced: false });
      await expect(registerBroker(conn, 1)).rejects.toThrow(String(ErrorCode.DUPLICATE_BROKER_REGISTRATION));
      await conn.close();
      await ctl.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a directory that belongs to another node id', async () => {
    const dir = tempDir();
    try {
      const ctl = await startTestController(dir);
      await ctl.close();
      await expect(startTestController(dir, { 'node.id': 2 })).rejects.toThrow(/node.id/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
