// Durability across restarts: a clean stop/start keeps every topic, config and record; kill -9 in
// the middle of producing loses nothing that was acknowledged with acks=1.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { apiVersions, findRepoRoot, freePorts, logDir, RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { python } from './support/python';
import { kcatConsume, kcatProduce } from './support/kcat';
import { eventually, sleep, startNode, withLogs } from './support/nodes';

describe('restart', () => {
  let node: RunnelNode | undefined;

  afterEach(async () => {
    await node?.cleanup();
    node = undefined;
  });

  it('keeps topics, configs and records across a clean stop and start', async () => {
    node = await startNode('restart-clean');
    const n = node;
    await withLogs(n, async () => {
      const { kafka } = kafkajs(n.bootstrap, 'restart-e2e');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [
          { topic: 'rs-a', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '123456789' }, { name: 'segment.bytes', value: '4096' }] },
          { topic: 'rs-b', numPartitions: 1 },
        ],
        waitForLeaders: true,
      });
      const producer = kafka.producer();
      await producer.connect();
      for (let b = 0; b < 30; b++) {
        await producer.send({ topic: 'rs-a', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${(b * 100 + i) % 11}`, value: `a-${b * 100 + i}` })) });
      }
      await producer.send({ topic: 'rs-b', messages: [{ value: 'only' }] });
      // A topic deleted before the restart must stay deleted; an altered config must stay altered.
      await admin.createTopics({ topics: [{ topic: 'rs-gone', numPartitions: 2 }], waitForLeaders: true });
      await producer.send({ topic: 'rs-gone', messages: [{ value: 'bye', partition: 1 }] });
      await producer.disconnect();
      await admin.deleteTopics({ topics: ['rs-gone'] });
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'rs-b', configEntries: [{ name: 'retention.ms', value: '987654321' }] }] });
      await admin.disconnect();
      const before = await kcatConsume(n.bootstrap, 'rs-a');
      expect(before).toHaveLength(3000);

      const stopped = await n.stop();
      expect(stopped).toMatchObject({ code: 0, forced: false });
      expect(stopped.durationMs).toBeLessThan(15_000);
      await n.start();

      const admin2 = kafkajs(n.bootstrap, 'restart-e2e-2').kafka.admin();
      await admin2.connect();
      try {
        expect(await admin2.listTopics()).toEqual(expect.arrayContaining(['rs-a', 'rs-b']));
        const md = await admin2.fetchTopicMetadata({ topics: ['rs-a'] });
        expect(md.topics[0].partitions).toHaveLength(3);
        const cfg = await admin2.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'rs-a', configNames: ['retention.ms'] }] });
        expect(cfg.resources[0].configEntries[0].configValue).toBe('123456789');
        const cfgB = await admin2.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'rs-b', configNames: ['retention.ms'] }] });
        expect(cfgB.resources[0].configEntries[0].configValue).toBe('987654321');
        expect(await admin2.listTopics()).not.toContain('rs-gone');
        expect(fs.readdirSync(n.dataDir).filter((d) => d.startsWith('rs-gone-') && !d.includes('-delete'))).toEqual([]);
      } finally {
        await admin2.disconnect();
      }
      const after = await kcatConsume(n.bootstrap, 'rs-a');
      const key = (m: { partition: number; offset: number; key: string | null; payload: string | null }) => `${m.partition}/${m.offset}/${m.key}/${m.payload}`;
      expect(after.map(key).sort()).toEqual(before.map(key).sort());
      expect((await kcatConsume(n.bootstrap, 'rs-b')).map((m) => m.payload)).toEqual(['only']);

      // Appends continue after the recovered end.
      await kcatProduce(n.bootstrap, 'rs-b', 'second\n', ['-p', '0']);
      expect((await kcatConsume(n.bootstrap, 'rs-b')).map((m) => [m.offset, m.payload])).toEqual([
        [0, 'only'],
        [1, 'second'],
      ]);
    });
  });

  it('loses nothing acknowledged with acks=1 when killed with -9 mid-produce', async () => {
    node = await startNode('restart-kill9');
    const n = node;
    await withLogs(n, async () => {
      const { kafka } = kafkajs(n.bootstrap, 'kill9-e2e');
      const admin = kafka.admin();
      await admin.connect();
      // Small segments: the kill lands near segment rolls, and recovery must handle a torn tail and new segments.
      await admin.createTopics({ topics: [{ topic: 'rs-kill', numPartitions: 2, configEntries: [{ name: 'segment.bytes', value: '16384' }] }], waitForLeaders: true });
      await admin.disconnect();

      const acked: Array<{ partition: number; baseOffset: number; values: string[] }> = [];
      let failures = 0;
      let killed = false;
      const worker = async (w: number) => {
        const producer = kafka.producer({ retry: { retries: 0 } });
        await producer.connect();
        let b = 0;
        while (!killed) {
          const partition = (w + b) % 2;
          const values = Array.from({ length: 50 }, (_, i) => `w${w}-b${b}-${i}`);
          b++;
          try {
            const r = await producer.send({ topic: 'rs-kill', acks: 1, messages: values.map((v) => ({ value: v, partition })) });
            acked.push({ partition, baseOffset: Number(r[0].baseOffset), values });
          } catch {
            failures++;
            break;
          }
        }
        await producer.disconnect().catch(() => undefined);
      };
      const workers = [0, 1, 2].map((w) => worker(w));
      await eventually(async () => acked.length >= 40, 30_000, 20);
      await n.kill();
      killed = true;
      await Promise.all(workers);

      await n.start();
      const read = await kcatConsume(n.bootstrap, 'rs-kill');
      const byPos = new Map(read.map((m) => [`${m.partition}/${m.offset}`, m.payload]));
      let missing = 0;
      let ackedRecords = 0;
      for (const a of acked) {
        a.values.forEach((v, i) => {
          ackedRecords++;
          if (byPos.get(`${a.partition}/${a.baseOffset + i}`) !== v) missing++;
        });
      }
      process.stderr.write(`[kill -9] acked ${ackedRecords} records in ${acked.length} batches, read back ${read.length}, send failures ${failures}\n`);
      expect(missing).toBe(0);
      expect(read.length).toBeGreaterThanOrEqual(ackedRecords);
      // Offsets stay dense after recovery (no holes from a torn batch).
      for (const p of [0, 1]) {
        const offs = read.filter((m) => m.partition === p).map((m) => m.offset);
        expect(offs).toEqual(Array.from({ length: offs.length }, (_, i) => i));
      }
    });
  });

  it('idempotent producer across a kill -9 and restart: every record once, no duplicates', async () => {
    node = await startNode('restart-idem');
    const n = node;
    await withLogs(n, async () => {
      const { kafka } = kafkajs(n.bootstrap, 'idem-restart-e2e');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'rs-idem', numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const count = 60_000;
      const producing = python<Record<string, any>>('ck_idempotent.py', { bootstrap: n.bootstrap, topic: 'rs-idem', count, throttle: true }, 120_000);
      let finished = false;
      void producing.then(() => (finished = true), () => (finished = true));
      await sleep(1500);
      await n.kill();
      expect(finished).toBe(false); // the kill really happened mid-stream
      await n.start();
      const r = await producing;
      process.stderr.write(`[idempotent restart] ${JSON.stringify(r)}\n`);
      expect(r).toMatchObject({ delivered: count, error_count: 0, unflushed: 0 });
      const msgs = await kcatConsume(n.bootstrap, 'rs-idem', [], 120_000);
      const values = msgs.map((m) => m.payload);
      expect(new Set(values).size).toBe(count);
      expect(values.length).toBe(count);
    });
  });

  it('recovers from being frozen (SIGSTOP) longer than broker.session.timeout.ms, like a laptop lid closing', async () => {
    node = await startNode('restart-freeze');
    const n = node;
    await withLogs(n, async () => {
      const { kafka } = kafkajs(n.bootstrap, 'freeze-e2e');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'rs-freeze', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: 'rs-freeze', messages: [{ value: 'before' }] });
        n.pause();
        await sleep(11_000); // > broker.session.timeout.ms (9 s): heartbeats stop, the session "expires" on wake
        n.resume();
        // The producer retries (up to ~30 s) through any fencing/unfencing after the wake-up.
        const t0 = Date.now();
        await producer.send({ topic: 'rs-freeze', messages: [{ value: 'after' }] });
        process.stderr.write(`[freeze] first send after SIGCONT took ${Date.now() - t0} ms\n`);
      } finally {
        await producer.disconnect();
      }
      expect((await kcatConsume(n.bootstrap, 'rs-freeze')).map((m) => m.payload)).toEqual(['before', 'after']);
    });
  });

  it('`npm start -- --override listeners=... --override log.dirs=DIR` works and restarts on the same data', async () => {
    const root = findRepoRoot();
    const [p1, p2, m1, m2] = await freePorts(4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-npm-start-'));
    const logPath = path.join(logDir(), `npm-start-${Date.now()}.log`);
    const startOnce = async () => {
      const log = fs.openSync(logPath, 'a');
      const child = spawn('npm', ['start', '--', '--override', `listeners=PLAINTEXT://127.0.0.1:${p1},CONTROLLER://127.0.0.1:${p2}`, '--override', `log.dirs=${dir}`], {
        cwd: root,
        detached: true,
        stdio: ['ignore', log, log],
        // Only the HTTP ports move off their defaults (9404/9405), so parallel runs don't collide.
        env: { ...process.env, KAFKA_METRICS_PORT: String(m1), KAFKA_CONTROLLER_METRICS_PORT: String(m2) },
      });
      fs.closeSync(log);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await eventually(async () => (await apiVersions('127.0.0.1', p1, 1000)).errorCode === 0, 120_000, 250).catch((e) => {
        throw new Error(`${String(e)}\n${fs.readFileSync(logPath, 'utf8').slice(-3000)}`);
      });
      return { child, exited };
    };
    const stopGroup = async (s: { child: ReturnType<typeof spawn>; exited: Promise<number | null> }) => {
      process.kill(-s.child.pid!, 'SIGINT'); // Ctrl-C in a terminal signals the whole group
      const t = setTimeout(() => process.kill(-s.child.pid!, 'SIGKILL'), 20_000);
      await s.exited;
      clearTimeout(t);
    };
    let s = await startOnce();
    try {
      await kcatProduce(`127.0.0.1:${p1}`, 'npm-start', 'one\ntwo\n', ['-p', '0']);
      await stopGroup(s);
      await sleep(200);
      expect(fs.readdirSync(dir).some((f) => f.startsWith('npm-start-0'))).toBe(true);
      s = await startOnce();
      await kcatProduce(`127.0.0.1:${p1}`, 'npm-start', 'three\n', ['-p', '0']);
      expect((await kcatConsume(`127.0.0.1:${p1}`, 'npm-start')).map((m) => [m.offset, m.payload])).toEqual([
        [0, 'one'],
        [1, 'two'],
        [2, 'three'],
      ]);
    } finally {
      await stopGroup(s).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
