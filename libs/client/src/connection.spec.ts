import * as net from 'node:net';
import { ApiKey, FrameDecoder, decodeRequestFrame, encodeResponse } from '@runnel/protocol';
import { KafkaConnection, KafkaConnectionError } from './connection';

type Behaviour = (header: { apiKey: number; apiVersion: number; correlationId: number }, body: any, sock: net.Socket) => void;

/** A tiny Kafka-protocol peer: decodes each request frame and lets the test decide the reply. */
async function peer(behaviour: Behaviour): Promise<{ port: number; close: () => Promise<void>; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((sock) => {
    sockets.push(sock);
    const dec = new FrameDecoder(1 << 20);
    sock.on('data', (d) => {
      for (const f of dec.push(d)) {
        const { header, body } = decodeRequestFrame(f);
        behaviour(header, body, sock);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const apiVersionsBody = (errorCode = 0) => ({
  errorCode,
  apiKeys: [
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 },
    { apiKey: ApiKey.CreateTopics, minVersion: 2, maxVersion: 5 },
  ],
  throttleTimeMs: 0,
});

describe('KafkaConnection', () => {
  it('negotiates versions with ApiVersions v3 and picks common versions', async () => {
    const p = await peer((h, _b, sock) => {
      for (const c of encodeResponse(h.apiKey, h.apiVersion, h.correlationId, apiVersionsBody() as any)) sock.write(c);
    });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port, clientId: 'test' });
    const versions = await conn.negotiateVersions();
    expect(versions.get(ApiKey.Metadata)).toEqual({ min: 0, max: 12 });
    expect(conn.versionFor(ApiKey.CreateTopics, 0, 7)).toBe(5);
    expect(() => conn.versionFor(ApiKey.CreateTopics, 6, 7)).toThrow(KafkaConnectionError);
    expect(() => conn.versionFor(ApiKey.Produce, 0, 9)).toThrow(/does not support/);
    const r = await conn.request(ApiKey.ApiVersions, {}, { min: 0, max: 2 });
    expect(r.version).toBe(2);
    expect(r.body.errorCode).toBe(0);
    await conn.close();
    expect(conn.closed).toBe(true);
    await p.close();
  });

  it('falls back when the peer answers ApiVersions v3 with UNSUPPORTED_VERSION', async () => {
    const seen: number[] = [];
    const p = await peer((h, _b, sock) => {
      seen.push(h.apiVersion);
      if (h.apiVersion > 2) {
        // Kafka answers an unsupported ApiVersions version with a v0 body.
        for (const c of encodeResponse(h.apiKey, 0, h.correlationId, {
          errorCode: 35,
          apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }],
        } as any)) sock.write(c);
      } else {
        for (const c of encodeResponse(h.apiKey, h.apiVersion, h.correlationId, apiVersionsBody() as any)) sock.write(c);
      }
    });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port });
    const versions = await conn.negotiateVersions();
    expect(seen).toEqual([3, 2]);
    expect(versions.has(ApiKey.Metadata)).toBe(true);
    await conn.close();
    await p.close();
  });

  it('matches pipelined responses by correlation id, even out of order', async () => {
    const held: Array<[any, net.Socket]> = [];
    const p = await peer((h, _b, sock) => {
      held.push([h, sock]);
      if (held.length === 3) {
        for (const [hh, s] of held.reverse()) {
          for (const c of encodeResponse(hh.apiKey, hh.apiVersion, hh.correlationId, { ...apiVersionsBody(), throttleTimeMs: hh.correlationId } as any)) s.write(c);
        }
      }
    });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port });
    const rs = await Promise.all([1, 2, 3].map(() => conn.send(ApiKey.ApiVersions, 1, {})));
    expect(rs.map((r) => r.throttleTimeMs)).toEqual([1, 2, 3]);
    await conn.close();
    await p.close();
  });

  it('times out a request without breaking the connection', async () => {
    let n = 0;
    const p = await peer((h, _b, sock) => {
      if (n++ === 0) return; // never answer the first
      for (const c of encodeResponse(h.apiKey, h.apiVersion, h.correlationId, apiVersionsBody() as any)) sock.write(c);
    });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port });
    await expect(conn.send(ApiKey.ApiVersions, 0, {}, { timeoutMs: 50 })).rejects.toMatchObject({ kind: 'timeout' });
    await expect(conn.send(ApiKey.ApiVersions, 0, {})).resolves.toMatchObject({ errorCode: 0 });
    await conn.close();
    await p.close();
  });

  it('fails pending requests when the peer closes, and rejects sends after close', async () => {
    const p = await peer((_h, _b, sock) => sock.destroy());
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port });
    await expect(conn.send(ApiKey.ApiVersions, 0, {})).rejects.toMatchObject({ kind: 'closed' });
    await expect(conn.send(ApiKey.ApiVersions, 0, {})).rejects.toBeInstanceOf(KafkaConnectionError);
    await conn.close();
    await p.close();
  });

  it('drops the connection on an oversized response frame', async () => {
    const p = await peer((_h, _b, sock) => {
      const b = Buffer.alloc(8);
      b.writeInt32BE(0x7fffffff, 0);
      sock.write(b);
    });
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port, maxResponseBytes: 1024 });
    await expect(conn.send(ApiKey.ApiVersions, 0, {})).rejects.toMatchObject({ kind: 'protocol' });
    expect(conn.closed).toBe(true);
    await p.close();
  });

  it('reports a clean error when nothing listens', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(KafkaConnection.connect({ host: '127.0.0.1', port })).rejects.toMatchObject({ kind: 'connect' });
  });

  it('resolves requests without a response once written', async () => {
    const got: number[] = [];
    const p = await peer((h) => got.push(h.apiKey));
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: p.port });
    await expect(conn.send(ApiKey.ApiVersions, 0, {}, { expectResponse: false })).resolves.toBeNull();
    expect(conn.inFlight).toBe(0);
    await conn.close();
    await p.close();
  });
});
