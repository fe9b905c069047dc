import * as net from 'node:net';
import { Connection, FrameHandler } from './connection';
import { silentLogger } from '../util/logger';

function frame(payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const b = Buffer.alloc(4 + p.length);
  b.writeInt32BE(p.length, 0);
  p.copy(b, 4);
  return b;
}

interface Harness {
  port: number;
  server: net.Server;
  conns: Connection[];
  closeReasons: string[];
  close(): Promise<void>;
}

async function startServer(handler: FrameHandler, opts: Partial<{ maxRequestBytes: number; idleTimeoutMs: number; maxInFlight: number }> = {}): Promise<Harness> {
  const conns: Connection[] = [];
  const closeReasons: string[] = [];
  let id = 0;
  const server = net.createServer((socket) => {
    conns.push(
      new Connection(socket, handler, {
        id: ++id,
        listener: 'PLAINTEXT',
        maxRequestBytes: opts.maxRequestBytes ?? 1024,
        idleTimeoutMs: opts.idleTimeoutMs ?? 0,
        maxInFlight: opts.maxInFlight,
        log: silentLogger,
        onClose: (_c, reason) => closeReasons.push(reason),
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    server,
    conns,
    closeReasons,
    close: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.close('shutdown');
        server.close(() => r());
      }),
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Collect response frames (payloads) from a client socket. */
function collector(socket: net.Socket): { frames: string[]; waitFor(n: number): Promise<string[]>; closed: Promise<void> } {
  const frames: string[] = [];
  let buf = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const n = buf.readInt32BE(0);
      frames.push(buf.subarray(4, 4 + n).toString());
      buf = buf.subarray(4 + n);
    }
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return {
    frames,
    closed,
    async waitFor(n) {
      while (frames.length < n) await new Promise<void>((r) => waiters.push(r));
      return frames;
    },
  };
}

const echo: FrameHandler = (f) => [frame(Buffer.concat([Buffer.from('re:'), f]))];

describe('Connection framing', () => {
  it('reassembles frames split at every byte and several frames per chunk', async () => {
    const seen: string[] = [];
    const h = await startServer((f) => {
      seen.push(f.toString());
      return [frame('ok:' + f.toString())];
    });
    const s = await connect(h.port);
    const c = collector(s);
    const bytes = Buffer.concat([frame('hello'), frame('world'), frame(''), frame('x'.repeat(300))]);
    // first two frames byte by byte, the rest in one write
    const cut = 4 + 5 + 4 + 5;
    for (let i = 0; i < cut; i++) {
      s.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    s.write(bytes.subarray(cut));
    await c.waitFor(4);
    expect(seen).toEqual(['hello', 'world', '', 'x'.repeat(300)]);
    expect(c.frames[0]).toBe('ok:hello');
    s.destroy();
    await h.close();
  });

  it('answers pipelined requests strictly in order even when handlers finish out of order', async () => {
    const h = await startServer(async (f) => {
      const delay = Number(f.toString());
      await new Promise((r) => setTimeout(r, delay));
      return [frame(`done${delay}`)];
    });
    const s = await connect(h.port);
    const c = collector(s);
    s.write(Buffer.concat(['60', '1', '30', '0'].map(frame)));
    expect(await c.waitFor(4)).toEqual(['done60', 'done1', 'done30', 'done0']);
    s.destroy();
    await h.close();
  });

  it('sends nothing for a null result and keeps later responses in order', async () => {
    const h = await startServer((f) => (f.toString() === 'silent' ? null : [frame(f.toString())]));
    const s = await connect(h.port);
    const c = collector(s);
    s.write(Buffer.concat([frame('a'), frame('silent'), frame('b')]));
    expect(await c.waitFor(2)).toEqual(['a', 'b']);
    s.destroy();
    await h.close();
  });

  it('writes multi-chunk responses as given (no copy into one buffer)', async () => {
    const big = Buffer.alloc(200_000, 7);
    const h = await startServer(() => {
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(big.length + 2, 0);
      return [prefix, Buffer.from('ab'), big];
    });
    const s = await connect(h.port);
    const c = collector(s);
    s.write(frame('go'));
    const frames = await c.waitFor(1);
    expect(frames[0].length).toBe(200_002);
    s.destroy();
    await h.close();
  });

  it('runs a response afterWrite hook once written, and for responses dropped with the connection', async () => {
    let written = 0;
    let dropped = 0;
    const h = await startServer((f) => {
      if (f.toString() === 'never') {
        return new Promise((resolve) => setTimeout(() => {
          const out = [frame('late')] as any;
          out.afterWrite = () => dropped++;
          resolve(out);
        }, 50));
      }
      const out = [frame('x')] as any;
      out.afterWrite = () => written++;
      return out;
    });
    const s = await connect(h.port);
    const c = collector(s);
    s.write(frame('a'));
    await c.waitFor(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(written).toBe(1);
    s.write(frame('never'));
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(dropped).toBe(1);
    await h.close();
  });

  it('closes a connection whose size prefix exceeds socket.request.max.bytes, before buffering it, and keeps serving others', async () => {
    let calls = 0;
    const h = await startServer((f) => {
      calls++;
      return echo(f, null as any);
    }, { maxRequestBytes: 100 });
    const bad = await connect(h.port);
    const good = await connect(h.port);
    const gc = collector(good);
    const bc = collector(bad);
    const hdr = Buffer.alloc(4);
    hdr.writeInt32BE(101, 0);
    bad.write(hdr);
    await bc.closed;
    expect(h.closeReasons).toContain('oversized-frame');
    good.write(frame('still here'));
    expect(await gc.waitFor(1)).toEqual(['re:still here']);
    expect(calls).toBe(1);
    good.destroy();
    await h.close();
  });

  it('handles zero-length frames (handler decides) without breaking the connection machinery', async () => {
    const seen: number[] = [];
    const h = await startServer((f) => {
      seen.push(f.length);
      if (f.length === 0) throw new Error('empty frame');
      return [frame('ok')];
    });
    const s = await connect(h.port);
    const c = collector(s);
    s.write(Buffer.from([0, 0, 0, 0]));
    await c.closed;
    expect(seen).toEqual([0]);
    expect(h.closeReasons).toEqual(['bad-request']);
    const s2 = await connect(h.port);
    const c2 = collector(s2);
    s2.write(Buffer.concat([frame('a'), Buffer.from([0, 0, 0, 0])]));
    await c2.closed;
    expect(seen).toEqual([0, 1, 0]);
    await h.close();
  });

  it('closes on a negative size prefix (garbage)', async () => {
    const h = await startServer(echo);
    const s = await connect(h.port);
    const c = collector(s);
    s.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
    await c.closed;
    expect(h.closeReasons).toEqual(['oversized-frame']);
    await h.close();
  });

  it('closes the connection when the handler throws (undecodable frame)', async () => {
    const h = await startServer((f) => {
      if (f.toString() === 'bad') throw new Error('cannot decode');
      return [frame(f.toString())];
    });
    const s = await connect(h.port);
    const c = collector(s);
    s.write(Buffer.concat([frame('bad'), frame('later')]));
    await c.closed;
    expect(h.closeReasons).toEqual(['bad-request']);
    await h.close();
  });

  it('stops reading while maxInFlight requests are unanswered, then resumes', async () => {
    const releases: Array<() => void> = [];
    let started = 0;
    const h = await startServer(
      (f) =>
        new Promise((resolve) => {
          started++;
          releases.push(() => resolve([frame(f.toString())]));
        }),
      { maxInFlight: 2 },
    );
    const s = await connect(h.port);
    const c = collector(s);
    s.write(Buffer.concat(['1', '2', '3', '4', '5'].map(frame)));
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toBe(2);
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toBe(3);
    while (started < 5 || releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await c.waitFor(5)).toEqual(['1', '2', '3', '4', '5']);
    s.destroy();
    await h.close();
  });

  it('closes idle connections after connections.max.idle.ms', async () => {
    const h = await startServer(echo, { idleTimeoutMs: 100 });
    const s = await connect(h.port);
    const c = collector(s);
    await c.closed;
    expect(h.closeReasons).toEqual(['idle']);
    await h.close();
  });
});
