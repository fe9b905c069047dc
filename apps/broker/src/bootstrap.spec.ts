// startBroker end to end in one process: the in-memory MiniController plays the controller, real storage in a temp
// dir, port-0 listeners; kafkajs produces (idempotent), and a raw Fetch long-poll is woken by a later produce.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '@runnel/client';
import { KafkaConfig } from '@runnel/config';
import { ApiKey, decodeRecordBatch } from '@runnel/protocol';
import { startBroker, BrokerHandle } from './bootstrap';
import { MiniController } from './testing/mini-controller';

jest.setTimeout(60_000);

describe('startBroker (with an in-memory controller)', () => {
  let ctl: MiniController;
  let broker: BrokerHandle;
  let dir: string;

  beforeAll(async () => {
    process.env.RUNNEL_LOG_LEVEL = 'warn';
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-broker-'));
    ctl = new MiniController();
    const cport = await ctl.start(0);
    const config = KafkaConfig.fromProps({
      'node.id': 1,
      'process.roles': 'broker',
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'controller.listener.names': 'CONTROLLER',
      'controller.quorum.voters': `1@127.0.0.1:${cport}`,
      'log.dirs': dir,
      'metrics.port': 0,
      'broker.heartbeat.interval.ms': 200,
    });
    broker = await startBroker(config);
  });

  afterAll(async () => {
    await broker?.close();
    await ctl?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves kafkajs (auto-create, idempotent produce) and wakes a long-poll fetch on append', async () => {
    const port = broker.listeners[0].port;
    expect(port).toBeGreaterThan(0);
    const kafka = new Kafka({ clientId: 'spec', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const first = await producer.send({ topic: 'boot', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
    expect(first[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });

    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port, clientId: 'raw' });
    await conn.negotiateVersions();
    const fetch = conn.send(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 10_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'boot', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 2n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const t0 = Date.now();
    setTimeout(() => void producer.send({ topic: 'boot', messages: [{ key: 'c', value: '3' }] }), 200);
    const res: any = await fetch;
    expect(Date.now() - t0).toBeLessThan(5000);
    const p = res.responses[0].partitions[0];
    expect(p.highWatermark).toBe(3n);
    const rec = decodeRecordBatch(Array.isArray(p.records) ? Buffer.concat(p.records) : p.records).records;
    expect(rec.map((r) => r.value!.toString())).toEqual(['3']);
    await conn.close();
    await producer.disconnect();
  });

  it('serves /metrics and a ready /health/ready', async () => {
    const port = broker.metricsPort!;
    const ready = await fetchText(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await fetchText(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.text).toContain('runnel_broker_requests_total{request="Produce",version="7"');
    expect(metrics.text).toContain('runnel_broker_topic_messages_in_total{topic="boot"');
  });
});

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
}
