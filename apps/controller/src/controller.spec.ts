import * as fs from 'node:fs';
import * as path from 'node:path';
import { KafkaConnection } from '@runnel/client';
import { ApiKey } from '@runnel/protocol';
import { RunningController } from './bootstrap';
import { connect, registerBroker, startTestController, tempDir } from './testing/harness';

jest.setTimeout(30_000);

describe('controller over TCP', () => {
  let dir: string;
  let ctl: RunningController;
  let conn: KafkaConnection;

  beforeAll(async () => {
    dir = tempDir();
    ctl = await startTestController(dir, { 'controller.metrics.port': 0 });
    conn = await connect(ctl.port);
  });

  afterAll(async () => {
    await conn?.close();
    await ctl?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('formats the directory: meta.properties, quorum-state, metadata log', () => {
    const meta = fs.readFileSync(path.join(dir, 'meta.properties'), 'utf8');
    expect(meta).toContain(`cluster.id=${ctl.clusterId}`);
    expect(meta).toContain('node.id=1');
    expect(ctl.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const qs = JSON.parse(fs.readFileSync(path.join(dir, '__cluster_metadata-0', 'quorum-state'), 'utf8'));
    expect(qs).toMatchObject({ leaderId: 1, leaderEpoch: 1, votedId: 1 });
  });

  it('advertises its APIs', () => {
    const keys = [...conn.apiVersions!.keys()].sort((a, b) => a - b);
    expect(keys).toEqual(
      expect.arrayContaining([ApiKey.ApiVersions, ApiKey.Fetch, ApiKey.CreateTopics, ApiKey.BrokerRegistration, ApiKey.DescribeQuorum]),
    );
  });

  it('registers a broker and creates a topic', async () => {
    await registerBroker(conn, 1);
    const res = await conn.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(res.topics[0]).toMatchObject({ name: 'orders', errorCode: 0, numPartitions: 3, replicationFactor: 1 });
    const image = ctl.runtime.controller!.image;
    expect(image.topic('orders')!.partitions.map((p) => p.leader)).toEqual([1, 1, 1]);
    expect(image.topicConfig('orders', 'retention.ms')).toBe('1000');
  });

  it('serves /metrics and /health/ready over HTTP', async () => {
    expect(ctl.metricsPort).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${ctl.metricsPort}`;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'runnel_controller_active_controller',
      'runnel_controller_raft_epoch',
      'runnel_controller_raft_high_watermark',
      'runnel_controller_raft_log_end_offset',
      'runnel_controller_commit_latency_seconds_bucket',
      'runnel_controller_registered_brokers',
      'runnel_controller_fenced_brokers',
      'runnel_controller_topics',
      'runnel_controller_partitions',
      'runnel_controller_offline_partitions',
      'runnel_controller_requests_total',
      'process_cpu_user_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/runnel_controller_active_controller\{[^}]*\} 1/);
    expect(text).toMatch(/runnel_controller_topics\{[^}]*\} 1/);
    expect(text).toMatch(/runnel_controller_requests_total\{[^}]*api="CreateTopics"[^}]*\} 1/);
  });
});
