import * as fs from 'node:fs';
import * as path from 'node:path';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import { RunningController } from './bootstrap';
import { connect, registerBroker, startTestController, tempDir } from './testing/harness';

jest.setTimeout(30_000);

describe('controller over TCP', () => {
  let dir: string;
  let ctl: RunningController;
  let conn: KafkaConnection;

  beforeAll(async () => {
    dir = tempDir();
    ctl = await startTestController(dir);
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
});
