import * as net from 'node:net';
import { ApiKey, decodeResponse, encodeRequest } from '@runnel/protocol';
import { Dispatcher } from '../api/dispatcher';
import { HANDLERS } from '../handlers';
import { fakeBroker } from '../testing/fakes';
import { silentLogger } from '../util/logger';
import { KafkaServer } from './kafka-server';

function req(apiKey: number, apiVersion: number, correlationId: number, body: any): Buffer {
  return Buffer.concat(encodeRequest({ apiKey, apiVersion, correlationId, clientId: 'kafka-python-2.0.2' }, body));
}

function readFrames(socket: net.Socket, n: number): Promise<Buffer[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const frames: Buffer[] = [];
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        frames.push(buf.subarray(4, 4 + buf.readInt32BE(0)));
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
      if (frames.length >= n) resolve(frames);
    });
  });
}

describe('KafkaServer with the dispatcher', () => {
  it("answers kafka-python's pipelined ApiVersions v0 + Metadata v0 in order, and survives garbage on another connection", async () => {
    const b = await fakeBroker(HANDLERS);
    await b.addTopic('t', 1);
    const dispatcher = new Dispatcher(b.registry, b.services);
    const server = new KafkaServer({
      listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' }],
      handler: (f, c) => dispatcher.handleFrame(f, c),
      maxRequestBytes: 1 << 20,
      idleTimeoutMs: 0,
      log: silentLogger,
      metrics: b.services.metrics,
    });
    const [bound] = await server.bind();
    // A client connecting before the broker is ready waits instead of being refused.
    const early = net.connect(bound.boundPort, '127.0.0.1');
    await new Promise((r) => early.once('connect', r));
    const earlyFrames = readFrames(early, 1);
    early.write(req(ApiKey.ApiVersions, 0, 1, {}));
    server.open();
    expect((await earlyFrames)[0].readInt32BE(0)).toBe(1);

    const garbage = net.connect(bound.boundPort, '127.0.0.1');
    garbage.on('error', () => undefined);
    garbage.write(Buffer.from([0, 0, 0, 6, 0xff, 0x7f, 1, 2, 3, 4]));
    const s = net.connect(bound.boundPort, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const frames = readFrames(s, 2);
    s.write(Buffer.concat([req(ApiKey.ApiVersions, 0, 11, {}), req(ApiKey.Metadata, 0, 12, { topics: [] })]));
    const [f1, f2] = await frames;
    expect(f1.readInt32BE(0)).toBe(11);
    expect(f2.readInt32BE(0)).toBe(12);
    const md = decodeResponse(ApiKey.Metadata, 0, f2) as any;
    expect(md.body.topics.map((t: any) => t.name)).toEqual(['t']);
    expect(md.body.brokers[0].port).toBe(9092);
    s.destroy();
    early.destroy();
    garbage.destroy();
    await server.close();
  });

  it('close() ends open client connections instead of waiting for clients to hang up', async () => {
    const b = await fakeBroker(HANDLERS);
    const dispatcher = new Dispatcher(b.registry, b.services);
    const server = new KafkaServer({
      listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' }],
      handler: (f, c) => dispatcher.handleFrame(f, c),
      maxRequestBytes: 1 << 20,
      idleTimeoutMs: 0,
      log: silentLogger,
      metrics: b.services.metrics,
    });
    const [bound] = await server.bind();
    server.open();
    // A client that never closes its side (allowHalfOpen: it ignores the broker's FIN).
    const lingering = net.connect({ port: bound.boundPort, host: '127.0.0.1', allowHalfOpen: true });
    lingering.on('error', () => undefined);
    const frames = readFrames(lingering, 1);
    lingering.write(req(ApiKey.ApiVersions, 0, 1, {}));
    await frames;
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
    lingering.destroy();
  });
});
