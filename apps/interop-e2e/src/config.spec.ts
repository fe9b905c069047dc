// Configuration the Kafka way, end to end: a properties file, KAFKA_* environment variables and
// --override flags reach the running node, and a bad value stops startup with a message naming the key.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRepoRoot, freePort, RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { kcat } from './support/kcat';
import { startNode, withLogs } from './support/nodes';

let node: RunnelNode;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-config-e2e-'));
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(
    props,
    [
      '# A Kafka-style properties file',
      'num.partitions = 4',
      'auto.create.topics.enable=true',
      'log.retention.hours=48',
      'message.max.bytes=2000000',
      '',
    ].join('\n'),
  );
  const kafkaPort = await freePort();
  node = await startNode('config', {
    args: [props],
    kafkaPort,
    // The env var beats the file; --override (set by the harness and here) beats both.
    env: { KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_CONNECTIONS_MAX_IDLE_MS: '1500' },
    // advertised.listeners: what clients are told to connect to (Docker/NAT setups depend on it).
    overrides: { 'message.max.bytes': 300000, 'advertised.listeners': `PLAINTEXT://localhost:${kafkaPort}` },
  });
});

afterAll(async () => {
  await node?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('configuration', () => {
  it('applies the properties file, KAFKA_* env vars and --override with Kafka precedence', () =>
    withLogs(node, async () => {
      // auto.create.topics.enable=false from the environment: producing to a new topic fails.
      const r = await kcat(node.bootstrap, ['-P', '-t', 'cfg-nope', '-X', 'message.timeout.ms=3000'], { input: 'x\n' });
      expect(`${r.code} ${r.stderr}`).toMatch(/Unknown topic|UNKNOWN_TOPIC|not available|timed out/i);
      const md = await kcat(node.bootstrap, ['-L', '-J']);
      expect(JSON.parse(md.stdout).topics.map((t: { topic: string }) => t.topic)).not.toContain('cfg-nope');

      const { kafka } = kafkajs(node.bootstrap, 'config-e2e');
      const admin = kafka.admin();
      await admin.connect();
      try {
        // num.partitions=4 from the file is the default for topics created without a count.
        await admin.createTopics({ topics: [{ topic: 'cfg-default' }], waitForLeaders: true });
        const meta = await admin.fetchTopicMetadata({ topics: ['cfg-default'] });
        expect(meta.topics[0].partitions).toHaveLength(4);
        const cfg = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: 'cfg-default', configNames: ['retention.ms', 'max.message.bytes'] }],
        });
        const byName = Object.fromEntries(cfg.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
        expect(byName).toEqual({ 'retention.ms': String(48 * 3600 * 1000), 'max.message.bytes': '300000' });
      } finally {
        await admin.disconnect();
      }
    }));

  it('advertises advertised.listeners in Metadata, not the bind address', () =>
    withLogs(node, async () => {
      const md = JSON.parse((await kcat(node.bootstrap, ['-L', '-J'])).stdout);
      expect(md.brokers).toEqual([{ id: 1, name: `localhost:${node.kafkaPort}` }]);
    }));

  it('enforces message.max.bytes (from --override) with MESSAGE_TOO_LARGE', () =>
    withLogs(node, async () => {
      const { kafka } = kafkajs(node.bootstrap, 'config-e2e-size');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'cfg-size', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer({ retry: { retries: 0 } });
      await producer.connect();
      try {
        await producer.send({ topic: 'cfg-size', messages: [{ value: Buffer.alloc(200_000, 1) }] });
        let err: any;
        try {
          await producer.send({ topic: 'cfg-size', messages: [{ value: Buffer.alloc(400_000, 1) }] });
        } catch (e) {
          err = e;
        }
        const type = err?.type ?? err?.cause?.type ?? err?.errors?.[0]?.type;
        expect(type).toBe('MESSAGE_TOO_LARGE');
        const offsets = await (async () => {
          const a = kafka.admin();
          await a.connect();
          try {
            return await a.fetchTopicOffsets('cfg-size');
          } finally {
            await a.disconnect();
          }
        })();
        expect(offsets[0]).toMatchObject({ high: '1' });
      } finally {
        await producer.disconnect();
      }
    }));

  it('closes idle connections after connections.max.idle.ms (from KAFKA_CONNECTIONS_MAX_IDLE_MS)', () =>
    withLogs(node, async () => {
      const t0 = Date.now();
      const closedAfter = await new Promise<number>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: node.kafkaPort });
        const timer = setTimeout(() => {
          s.destroy();
          resolve(-1);
        }, 10_000);
        s.on('close', () => {
          clearTimeout(timer);
          resolve(Date.now() - t0);
        });
        s.on('error', () => undefined);
      });
      expect(closedAfter).toBeGreaterThanOrEqual(1000);
      expect(closedAfter).toBeLessThan(6000);
    }));

  it('refuses to start on an invalid value, naming the key', async () => {
    const root = findRepoRoot();
    const child = spawn(
      process.execPath,
      ['-r', path.join(root, 'tools/runtime/paths.js'), path.join(root, 'dist/tools/start/main.js'), '--override', 'num.partitions=lots', '--override', `log.dirs=${dir}/bad`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(out).toMatch(/num\.partitions/);
    expect(out).toMatch(/lots/);
    expect(out).not.toMatch(/^\s+at /m); // a message, not a stack trace
  });
});
