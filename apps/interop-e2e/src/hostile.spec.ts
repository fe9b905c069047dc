// Hostile input: garbage, truncated and oversized frames, unknown APIs and versions. The broker must
// answer with an error or close that one connection, while a well-behaved kafkajs client on the
// same broker keeps working without a single error.
import * as fs from 'node:fs';
import { Producer } from 'kafkajs';
import { RunnelNode, apiVersions } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { kcatConsume } from './support/kcat';
import * as net from 'node:net';
import { apiVersionsV0, apiVersionsV3, exchange, fetchV4, parseFetchV4, frame, FrameWriter, listOffsetsV1, metadataV0, metadataV4, prng } from './support/raw';
import { sleep, startNode, withLogs } from './support/nodes';

let node: RunnelNode;

beforeAll(async () => {
  node = await startNode('hostile', { overrides: { 'socket.request.max.bytes': 1048576 * 8 } });
});

afterAll(async () => {
  await node?.cleanup();
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Either closed, or every complete response is a well-formed frame echoing one of our correlation ids. */
function answeredOrClosed(o: { closed: boolean; responses: Buffer[] }, correlationIds: number[]): boolean {
  if (o.closed) return true;
  return o.responses.length > 0 && o.responses.every((r) => r.length >= 4 && correlationIds.includes(r.readInt32BE(0)));
}

/** The broker process is alive and a fresh connection still gets ApiVersions answered. */
async function expectStillServing(): Promise<void> {
  expect(node.running).toBe(true);
  expect((await apiVersions('127.0.0.1', node.kafkaPort, 2000)).errorCode).toBe(0);
}

describe('hostile input', () => {
  it('answers kafka-python\'s pipelined ApiVersions v0 + Metadata v0 in order', () =>
    withLogs(node, async () => {
      const o = await exchange(node.kafkaPort, [Buffer.concat([apiVersionsV0(1), metadataV0(2)])], { expectResponses: 2, waitMs: 2000 });
      expect(o.responses.map((r) => r.readInt32BE(0))).toEqual([1, 2]);
      expect(o.responses[0].readInt16BE(4)).toBe(0);
    }));

  it('Metadata v0 with an empty topic list returns every topic (v0 semantics), v1 with an empty list none', () =>
    withLogs(node, async () => {
      const { kafka } = kafkajs(node.bootstrap, 'hostile-md');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'md-v0-a', numPartitions: 2 }, { topic: 'md-v0-b' }], waitForLeaders: true });
      await admin.disconnect();
      const topicsOf = (body: Buffer): string[] => {
        let o = 4; // correlation id
        const nb = body.readInt32BE(o);
        o += 4;
        for (let i = 0; i < nb; i++) {
          o += 4;
          o += 2 + body.readInt16BE(o);
          o += 4;
        }
        const nt = body.readInt32BE(o);
        o += 4;
        const names: string[] = [];
        for (let i = 0; i < nt; i++) {
          o += 2; // error code
          const len = body.readInt16BE(o);
          names.push(body.toString('utf8', o + 2, o + 2 + len));
          o += 2 + len;
          const np = body.readInt32BE(o);
          o += 4;
          for (let p = 0; p < np; p++) {
            o += 2 + 4 + 4;
            o += 4 + 4 * body.readInt32BE(o);
            o += 4 + 4 * body.readInt32BE(o);
          }
        }
        return names;
      };
      const v0 = await exchange(node.kafkaPort, [metadataV0(1)], { expectResponses: 1 });
      expect(topicsOf(v0.responses[0])).toEqual(expect.arrayContaining(['md-v0-a', 'md-v0-b']));
      const v1 = await exchange(node.kafkaPort, [frame(3, 1, 2, new FrameWriter().int32(0).toBuffer())], { expectResponses: 1 });
      expect(v1.responses).toHaveLength(1);
      const b = v1.responses[0];
      let o = 4;
      const nb = b.readInt32BE(o);
      o += 4;
      for (let i = 0; i < nb; i++) {
        o += 4;
        o += 2 + b.readInt16BE(o);
        o += 4;
        const rack = b.readInt16BE(o);
        o += 2 + (rack > 0 ? rack : 0);
      }
      o += 4; // controller id
      expect(b.readInt32BE(o)).toBe(0); // v1+: an empty list asks for no topics
    }));

  it('answers an ApiVersions version above its range with UNSUPPORTED_VERSION in the v0 layout', () =>
    withLogs(node, async () => {
      const o = await exchange(node.kafkaPort, [frame(18, 99, 7, Buffer.alloc(0), { headerV2: true })], { expectResponses: 1 });
      expect(o.responses).toHaveLength(1);
      const r = o.responses[0];
      expect(r.readInt32BE(0)).toBe(7);
      expect(r.readInt16BE(4)).toBe(35);
      // v0 body: error, then an int32 array of (key, min, max) that includes ApiVersions itself.
      const n = r.readInt32BE(6);
      const keys = Array.from({ length: n }, (_, i) => r.readInt16BE(10 + i * 6));
      expect(keys).toContain(18);
    }));

  it.each([
    ['unknown API key 999', () => frame(999, 0, 11, Buffer.alloc(8))],
    ['unknown API key -1', () => frame(-1, 0, 11, Buffer.alloc(0))],
    ['Produce v99', () => frame(0, 99, 11, Buffer.alloc(16))],
    ['Metadata v4 with a truncated body', () => frame(3, 4, 11, Buffer.from([0, 0, 0, 5, 0, 3]))],
    ['Metadata v4 with a topic count of 2^31-1', () => frame(3, 4, 11, new FrameWriter().int32(0x7fffffff).toBuffer())],
    ['a string length beyond the frame', () => frame(3, 1, 11, new FrameWriter().int32(1).int16(30000).toBuffer())],
    ['a frame shorter than a request header', () => Buffer.from([0, 0, 0, 2, 0, 3])],
    ['a zero-length frame', () => Buffer.from([0, 0, 0, 0])],
    ['a client id length beyond the frame', () => Buffer.concat([new FrameWriter().int32(10).int16(18).int16(0).int32(11).int16(500).toBuffer()])],
    ['Produce v7 with a corrupt record batch', () =>
      frame(0, 7, 11, new FrameWriter().string(null).int16(1).int32(5000).int32(1).string('hostile-produce').int32(1).int32(0).int32(70).raw(Buffer.alloc(70, 0xab)).toBuffer())],
  ])('%s: error response or closed connection', (_name, make) =>
    withLogs(node, async () => {
      const o = await exchange(node.kafkaPort, [make()], { waitMs: 3000, expectResponses: 1 });
      expect(answeredOrClosed(o, [11])).toBe(true);
      if (!o.closed) {
        // A response to garbage must carry an error, never pretend success for the whole request.
        expect(o.responses[0].length).toBeGreaterThan(4);
      }
      await expectStillServing();
    }));

  it.each([
    ['2^31-1', 0x7fffffff],
    ['just above socket.request.max.bytes', 1048576 * 8 + 1],
    ['negative', -1],
    ['-2^31', -0x80000000],
  ])('closes a connection whose length prefix is %s without waiting for the body', (_name, size) =>
    withLogs(node, async () => {
      const before = rssMb(node.pid!);
      const t0 = Date.now();
      const o = await exchange(node.kafkaPort, [new FrameWriter().int32(size).int16(18).int16(0).toBuffer()], { waitMs: 5000 });
      expect(o.closed).toBe(true);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(rssMb(node.pid!) - before).toBeLessThan(64);
      await expectStillServing();
    }));

  it('closes (or idles) a truncated frame once the client half-closes', () =>
    withLogs(node, async () => {
      const full = metadataV4(5, ['x']);
      const o = await exchange(node.kafkaPort, [full.subarray(0, full.length - 3)], { end: true, waitMs: 5000 });
      expect(o.closed).toBe(true);
      expect(o.responses).toHaveLength(0);
      await expectStillServing();
    }));

  it('answers 2000 pipelined requests in order', () =>
    withLogs(node, async () => {
      const frames = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? apiVersionsV0(i) : metadataV0(i)));
      const o = await exchange(node.kafkaPort, [Buffer.concat(frames)], { expectResponses: 2000, waitMs: 20_000 });
      expect(o.closed).toBe(false);
      const ids = o.responses.map((r) => r.readInt32BE(0));
      expect(ids).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    }));

  it('Fetch honours max_wait_ms, min_bytes and the partition byte limit', () =>
    withLogs(node, async () => {
      const { kafka } = kafkajs(node.bootstrap, 'hostile-fetch');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'fetch-sem', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      for (let b = 0; b < 3; b++) await producer.send({ topic: 'fetch-sem', messages: Array.from({ length: 10 }, (_, i) => ({ value: `b${b}-${i}-${'z'.repeat(200)}` })) });
      await producer.disconnect();
      const timed = async (f: Buffer) => {
        const t0 = Date.now();
        const o = await exchange(node.kafkaPort, [f], { expectResponses: 1, waitMs: 10_000 });
        expect(o.responses).toHaveLength(1);
        return { ms: Date.now() - t0, r: parseFetchV4(o.responses[0]) };
      };
      // Data available and min_bytes 1: immediate, despite a long max_wait.
      const now = await timed(fetchV4(1, 'fetch-sem', 0n, 1 << 20, { maxWaitMs: 5000, minBytes: 1 }));
      expect(now.r).toMatchObject({ errorCode: 0, highWatermark: 30n });
      expect(now.r.recordBytes).toBeGreaterThan(3 * 10 * 200);
      expect(now.ms).toBeLessThan(1000);
      // More than is available: waits for max_wait_ms, then answers with what there is.
      const waited = await timed(fetchV4(2, 'fetch-sem', 0n, 1 << 20, { maxWaitMs: 1500, minBytes: 1 << 20 }));
      expect(waited.r.errorCode).toBe(0);
      expect(waited.r.recordBytes).toBe(now.r.recordBytes);
      expect(waited.ms).toBeGreaterThanOrEqual(1300);
      expect(waited.ms).toBeLessThan(4000);
      // At the end of the log: waits max_wait_ms and returns no records.
      const empty = await timed(fetchV4(3, 'fetch-sem', 30n, 1 << 20, { maxWaitMs: 800, minBytes: 1 }));
      expect(empty.r).toMatchObject({ errorCode: 0, recordBytes: 0 });
      expect(empty.ms).toBeGreaterThanOrEqual(600);
      // A small partition limit returns whole batches: at least one, not everything.
      const limited = await timed(fetchV4(4, 'fetch-sem', 0n, 1 << 20, { partitionMaxBytes: 100 }));
      expect(limited.r.recordBytes).toBeGreaterThan(100);
      expect(limited.r.recordBytes).toBeLessThan(now.r.recordBytes);
      // Past the end: OFFSET_OUT_OF_RANGE (1).
      const out = await timed(fetchV4(5, 'fetch-sem', 31n, 1 << 20));
      expect(out.r.errorCode).toBe(1);
    }));

  it('stops reading from a client that never reads its responses (bounded memory)', () =>
    withLogs(node, async () => {
      const { kafka } = kafkajs(node.bootstrap, 'hostile-backpressure');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'hostile-big', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      for (let b = 0; b < 4; b++) {
        await producer.send({ topic: 'hostile-big', messages: Array.from({ length: 256 }, (_, i) => ({ value: Buffer.alloc(1024, b * 256 + i) })) });
      }
      await producer.disconnect();

      const before = rssMb(node.pid!);
      // 600 fetches of ~1 MiB each = ~600 MiB of responses if the broker kept reading and queueing.
      const sock = net.connect({ host: '127.0.0.1', port: node.kafkaPort });
      sock.on('error', () => undefined);
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.pause(); // never read
      const req = Buffer.concat(Array.from({ length: 600 }, (_, i) => fetchV4(i, 'hostile-big', 0n, 1 << 20)));
      sock.write(req);
      await sleep(3000);
      const grown = rssMb(node.pid!) - before;
      // Meanwhile, other clients are served normally.
      await expectStillServing();
      sock.destroy();
      // Without backpressure this is ~480 MB; with it, what sits in socket buffers and in-flight responses (~120 MB today).
      expect(grown).toBeLessThan(300);
    }));

  it('survives a seeded fuzz of mutated and random frames while kafkajs keeps producing without errors', () =>
    withLogs(node, async () => {
      const { kafka, errors } = kafkajs(node.bootstrap, 'hostile-good-citizen');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'hostile-ok', numPartitions: 2 }], waitForLeaders: true });
      const producer: Producer = kafka.producer();
      await producer.connect();
      let stop = false;
      let acked = 0;
      let sendFailures = 0;
      const good = (async () => {
        let i = 0;
        while (!stop) {
          try {
            const res = await producer.send({ topic: 'hostile-ok', acks: -1, messages: [{ key: `k${i % 4}`, value: `good-${i}` }] });
            if (res.every((r) => r.errorCode === 0)) acked++;
            i++;
            if (i % 10 === 0) await admin.fetchTopicMetadata({ topics: ['hostile-ok'] });
          } catch {
            sendFailures++;
          }
          await sleep(5);
        }
      })();

      const rand = prng(20261122);
      const valid = [apiVersionsV0(1), apiVersionsV3(1), metadataV0(1), metadataV4(1, ['hostile-ok']), listOffsetsV1(1, 'hostile-ok')];
      const rssBefore = rssMb(node.pid!);
      let closed = 0;
      let answered = 0;
      for (let c = 0; c < 40; c++) {
        const frames: Buffer[] = [];
        for (let f = 0; f < 8; f++) {
          const kind = rand();
          if (kind < 0.6) {
            // Mutate a valid frame: flip bytes after the size prefix, sometimes inside it.
            const b = Buffer.from(valid[Math.floor(rand() * valid.length)]);
            const flips = 1 + Math.floor(rand() * 4);
            for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
            frames.push(b);
          } else if (kind < 0.9) {
            // Random body behind a consistent size prefix.
            const len = Math.floor(rand() * 300);
            const body = Buffer.alloc(len);
            for (let k = 0; k < len; k++) body[k] = Math.floor(rand() * 256);
            frames.push(Buffer.concat([new FrameWriter().int32(len).toBuffer(), body]));
          } else {
            // Pure noise, size prefix included.
            const len = 1 + Math.floor(rand() * 64);
            frames.push(Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256))));
          }
        }
        const o = await exchange(node.kafkaPort, frames, { waitMs: 300 });
        if (o.closed) closed++;
        else if (o.responses.length > 0) answered++;
      }
      stop = true;
      await good;
      await producer.disconnect();
      await admin.disconnect();

      expect(node.running).toBe(true);
      expect((await apiVersions('127.0.0.1', node.kafkaPort)).errorCode).toBe(0);
      expect(closed + answered).toBeGreaterThan(0);
      expect(rssMb(node.pid!) - rssBefore).toBeLessThan(128);
      expect(sendFailures).toBe(0);
      expect(errors).toEqual([]);
      expect(acked).toBeGreaterThan(10);
      const msgs = await kcatConsume(node.bootstrap, 'hostile-ok');
      expect(msgs.length).toBe(acked);
    }));
});
