import * as net from 'node:net';

/**
 * Minimal, dependency-free Kafka probes for readiness checks (so the harness works even when
 * libs/protocol is broken): ApiVersions v0 and Metadata v1 over a fresh connection.
 */

function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, clientId = 'runnel-testing'): Buffer {
  const cid = Buffer.from(clientId, 'utf8');
  const header = Buffer.alloc(10 + cid.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(cid.length, 8);
  cid.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length, 0);
  return Buffer.concat([size, header, body]);
}

/** Sends one request and resolves with the response body (after the correlation id). */
export function rawRequest(host: string, port: number, apiKey: number, apiVersion: number, body: Buffer, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const correlationId = 0x5eed;
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, res?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new Error(`no response from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write(frame(apiKey, apiVersion, correlationId, body)));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const size = buf.readInt32BE(0);
      if (size < 4 || size > 64 * 1024 * 1024) return done(new Error(`bad response size ${size}`));
      if (buf.length < 4 + size) return;
      const corr = buf.readInt32BE(4);
      if (corr !== correlationId) return done(new Error(`correlation id mismatch: ${corr}`));
      done(null, buf.subarray(8, 4 + size));
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error(`connection to ${host}:${port} closed before a response`)));
  });
}

/** ApiVersions v0: resolves with the error code and the advertised [key, min, max] list. */
export async function apiVersions(host: string, port: number, timeoutMs = 2000): Promise<{ errorCode: number; apis: Array<[number, number, number]> }> {
  const body = await rawRequest(host, port, 18, 0, Buffer.alloc(0), timeoutMs);
  const errorCode = body.readInt16BE(0);
  const n = body.readInt32BE(2);
  const apis: Array<[number, number, number]> = [];
  for (let i = 0; i < n && 6 + i * 6 + 6 <= body.length; i++) {
    const o = 6 + i * 6;
    apis.push([body.readInt16BE(o), body.readInt16BE(o + 2), body.readInt16BE(o + 4)]);
  }
  return { errorCode, apis };
}

/** Metadata v1 for no topics: resolves with the broker list and controller id. */
export async function brokerMetadata(host: string, port: number, timeoutMs = 2000): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controllerId: number }> {
  const req = Buffer.alloc(4);
  req.writeInt32BE(0, 0); // empty topic array = no topics (v1+)
  const body = await rawRequest(host, port, 3, 1, req, timeoutMs);
  let o = 0;
  const n = body.readInt32BE(o);
  o += 4;
  const brokers: Array<{ nodeId: number; host: string; port: number }> = [];
  for (let i = 0; i < n; i++) {
    const nodeId = body.readInt32BE(o);
    o += 4;
    const hl = body.readInt16BE(o);
    o += 2;
    const h = body.toString('utf8', o, o + hl);
    o += hl;
    const p = body.readInt32BE(o);
    o += 4;
    const rl = body.readInt16BE(o);
    o += 2 + (rl > 0 ? rl : 0);
    brokers.push({ nodeId, host: h, port: p });
  }
  const controllerId = body.readInt32BE(o);
  return { brokers, controllerId };
}

/** GET an HTTP path; resolves with the status (0 when unreachable) and body. */
export async function httpGet(host: string, port: number, path: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch(`http://${host}:${port}${path}`, { signal: ctl.signal });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  } finally {
    clearTimeout(t);
  }
}
