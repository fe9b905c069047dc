import * as net from 'node:net';
import * as path from 'node:path';
import { LinkProxy, nodeFromClientId, peekClientId } from './link-proxy';
import { ClusterNetwork } from './network';
import { RunnelCluster } from './cluster';

jest.setTimeout(30_000);

/** A Kafka-shaped request: size, apiKey 18, version 0, correlation id, client id, body. */
function request(clientId: string | null, correlationId: number, body = Buffer.alloc(0)): Buffer {
  const cid = clientId === null ? null : Buffer.from(clientId);
  const head = Buffer.alloc(10);
  head.writeInt16BE(18, 0);
  head.writeInt16BE(0, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(cid ? cid.length : -1, 8);
  const payload = Buffer.concat([head, cid ?? Buffer.alloc(0), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** A target that answers every request frame with [size][correlation id]["pong:<clientId>"]. */
async function pongServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const socks = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    accepted++;
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(0, 4 + buf.readInt32BE(0));
        buf = buf.subarray(frame.length);
        const corr = frame.readInt32BE(8);
        const text = Buffer.from(`pong:${peekClientId(frame)}`);
        const out = Buffer.alloc(8);
        out.writeInt32BE(4 + text.length, 0);
        out.writeInt32BE(corr, 4);
        sock.write(Buffer.concat([out, text]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A client connection that sends requests and reads pong answers; `closed` resolves when the proxy drops it. */
class Client {
  private buf = Buffer.alloc(0);
  private waiters: Array<(s: string) => void> = [];
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly sock: net.Socket) {
    sock.on('error', () => undefined);
    this.closed = new Promise((r) =>
      sock.on('close', () => {
        this.isClosed = true;
        r();
      }),
    );
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const size = this.buf.readInt32BE(0);
        const text = this.buf.toString('utf8', 8, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        this.waiters.shift()?.(text);
      }
    });
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port }, () => resolve(new Client(sock)));
      sock.once('error', reject);
    });
  }

  /** Sends a request; resolves with the answer, or 'closed' / 'timeout'. */
  ask(clientId: string | null, corr: number, timeoutMs = 1000, split = false): Promise<string> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      this.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      void this.closed.then(() => {
        clearTimeout(timer);
        resolve('closed');
      });
      const f = request(clientId, corr);
      if (split) {
        // The header arrives in pieces: the proxy must wait for the whole client id.
        this.sock.write(f.subarray(0, 5));
        setTimeout(() => this.sock.write(f.subarray(5, 15)), 20);
        setTimeout(() => this.sock.write(f.subarray(15)), 40);
      } else this.sock.write(f);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

describe('peekClientId / nodeFromClientId', () => {
  it('reads the client id of a request header, waiting for enough bytes', () => {
    const f = request('runnel-broker-4-replica-fetcher', 7);
    expect(peekClientId(f)).toBe('runnel-broker-4-replica-fetcher');
    expect(peekClientId(f.subarray(0, 13))).toBeUndefined();
    expect(peekClientId(f.subarray(0, 20))).toBeUndefined();
    expect(peekClientId(request(null, 1))).toBeNull();
    expect(peekClientId(request('', 1))).toBe('');
    const bad = Buffer.from(f);
    bad.writeInt16BE(500, 12);
    expect(() => peekClientId(bad)).toThrow(/exceeds/);
  });

  it('maps Runnel client ids to node ids', () => {
    expect(nodeFromClientId('runnel-broker-4-replica-fetcher')).toBe(4);
    expect(nodeFromClientId('runnel-broker-12')).toBe(12);
    expect(nodeFromClientId('runnel-broker-5-metadata')).toBe(5);
    expect(nodeFromClientId('raft-2')).toBe(2);
    expect(nodeFromClientId('kafkajs')).toBeUndefined();
    expect(nodeFromClientId('raft-2-x')).toBeUndefined();
    expect(nodeFromClientId(null)).toBeUndefined();
  });
});

describe('LinkProxy', () => {
  let target: Awaited<ReturnType<typeof pongServer>>;
  const proxies: LinkProxy[] = [];
  const clients: Client[] = [];
  const proxy = async (o: Partial<ConstructorParameters<typeof LinkProxy>[0]> = {}) => {
    const p = new LinkProxy({ target: { host: '127.0.0.1', port: target.port }, to: 9, ...o });
    await p.start();
    proxies.push(p);
    return p;
  };
  const client = async (port: number) => {
    const c = await Client.connect(port);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    target = await pongServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const p of proxies.splice(0)) await p.close();
    await target.close();
  });

  it('forwards both ways and attributes connections by the peeked client id', async () => {
    const p = await proxy();
    const a = await client(p.port);
    const b = await client(p.port);
    const c = await client(p.port);
    expect(await a.ask('runnel-broker-2-replica-fetcher', 1)).toBe('pong:runnel-broker-2-replica-fetcher');
    expect(await a.ask('runnel-broker-2-replica-fetcher', 2)).toBe('pong:runnel-broker-2-replica-fetcher');
    expect(await b.ask('runnel-broker-3', 1, 1000, true)).toBe('pong:runnel-broker-3');
    expect(await c.ask('kafkajs', 1)).toBe('pong:kafkajs');
    expect(p.connections().map((x) => x.from).sort()).toEqual([2, 3, undefined]);
    expect(p.stats()).toMatchObject({ accepted: { '2': 1, '3': 1, client: 1 }, open: 3 });
    expect(p.stats().bytes).toBeGreaterThan(0);
  });

  it('block drops the source\'s open connections and refuses new ones; others keep flowing; unblock lets it back', async () => {
    const p = await proxy();
    const a = await client(p.port);
    const b = await client(p.port);
    const plain = await client(p.port);
    expect(await a.ask('runnel-broker-2', 1)).toBe('pong:runnel-broker-2');
    expect(await b.ask('runnel-broker-3', 1)).toBe('pong:runnel-broker-3');
    expect(await plain.ask('kafkajs', 1)).toBe('pong:kafkajs');
    const before = target.accepted();

    p.block(2);
    await a.closed;
    expect(p.isBlocked(2)).toBe(true);
    expect(await b.ask('runnel-broker-3', 2)).toBe('pong:runnel-broker-3');
    expect(await plain.ask('kafkajs', 2)).toBe('pong:kafkajs');
    // A new connection from 2 is closed at its first request and never reaches the target.
    const again = await client(p.port);
    expect(await again.ask('runnel-broker-2-replica-fetcher', 1)).toBe('closed');
    expect(target.accepted()).toBe(before);
    expect(p.stats().dropped).toEqual({ '2': 2 });

    p.unblock(2);
    const back = await client(p.port);
    expect(await back.ask('runnel-broker-2', 3)).toBe('pong:runnel-broker-2');
  });

  it('a fixed-source proxy refuses at accept time while blocked', async () => {
    const p = await proxy({ from: 5 });
    const a = await client(p.port);
    expect(await a.ask('anything', 1)).toBe('pong:anything');
    p.block(5);
    await a.closed;
    const b = await client(p.port);
    await b.closed; // closed before any request
    p.block(6); // another source: no effect on this proxy's connections
    p.unblock(5);
    const c = await client(p.port);
    expect(await c.ask('x', 1)).toBe('pong:x');
    expect(p.stats()).toMatchObject({ accepted: { '5': 3 }, dropped: { '5': 2 } });
  });

  it('blackhole keeps connections open but silent; unblock closes them so both ends reconnect', async () => {
    const p = await proxy();
    const a = await client(p.port);
    expect(await a.ask('runnel-broker-2', 1)).toBe('pong:runnel-broker-2');
    p.block(2, 'blackhole');
    expect(await a.ask('runnel-broker-2', 2, 300)).toBe('timeout');
    expect(a.isClosed).toBe(false);
    const fresh = await client(p.port);
    expect(await fresh.ask('runnel-broker-2', 1, 300)).toBe('timeout');
    p.unblock(2);
    await a.closed;
    await fresh.closed;
    const c = await client(p.port);
    expect(await c.ask('runnel-broker-2', 3)).toBe('pong:runnel-broker-2');
  });

  it('closes the client when the target is down, and works again once it is back on the same port', async () => {
    const port = target.port;
    await target.close();
    const p = await proxy();
    const a = await client(p.port);
    expect(await a.ask('runnel-broker-2', 1)).toBe('closed');
    const srv = net.createServer((s) => s.on('data', (d) => s.write(Buffer.concat([Buffer.from([0, 0, 0, 6]), d.subarray(8, 12), Buffer.from('up')]))));
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    try {
      const b = await client(p.port);
      expect(await b.ask('runnel-broker-2', 1)).toBe('up');
      b.close();
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
      target = await pongServer(); // afterEach closes it
    }
  });
});

describe('ClusterNetwork', () => {
  const servers: Array<Awaited<ReturnType<typeof pongServer>>> = [];
  let network: ClusterNetwork | undefined;
  afterEach(async () => {
    await network?.close();
    for (const s of servers.splice(0)) await s.close();
  });

  it('routes replication and controller links through proxies; cut, isolate and heal', async () => {
    for (let i = 0; i < 5; i++) servers.push(await pongServer());
    // Controllers 1, 2; brokers 3, 4, 5 (replication ports on servers 2-4).
    network = await ClusterNetwork.create({
      controllers: [
        { nodeId: 1, controllerPort: servers[0].port },
        { nodeId: 2, controllerPort: servers[1].port },
      ],
      brokers: [3, 4, 5].map((nodeId, i) => ({ nodeId, replicationPort: servers[2 + i].port })),
      nodes: [1, 2, 3, 4, 5],
    });
    const n = network;
    expect(n.votersFor(1)).toBe(`1@127.0.0.1:${servers[0].port},2@${n.control.get('1->2')!.address}`);
    expect(n.votersFor(3)).toBe(`1@${n.control.get('3->1')!.address},2@${n.control.get('3->2')!.address}`);
    expect(n.control.size).toBe(2 + 3 * 2);
    const voterPort = (from: number, to: number) => Number(new RegExp(`(?:^|,)${to}@[^:]+:(\\d+)`).exec(n.votersFor(from))![1]);

    // Broker 3 replicates from 4 (through 4's replication proxy) and talks to controller 1 (through 3->1).
    const fetch34 = await Client.connect(n.replicationAddress(4).port);
    const fetch54 = await Client.connect(n.replicationAddress(4).port);
    const ctl31 = await Client.connect(voterPort(3, 1));
    const raft12 = await Client.connect(voterPort(1, 2));
    expect(await fetch34.ask('runnel-broker-3-replica-fetcher', 1)).toBe('pong:runnel-broker-3-replica-fetcher');
    expect(await fetch54.ask('runnel-broker-5-replica-fetcher', 1)).toBe('pong:runnel-broker-5-replica-fetcher');
    expect(await ctl31.ask('runnel-broker-3', 1)).toBe('pong:runnel-broker-3');
    expect(await raft12.ask('raft-1', 1)).toBe('pong:raft-1');

    n.cut(3, 4);
    expect(n.blocked()).toEqual(['3->4', '4->3']);
    await fetch34.closed;
    expect(await fetch54.ask('runnel-broker-5-replica-fetcher', 2)).toBe('pong:runnel-broker-5-replica-fetcher');
    expect(await ctl31.ask('runnel-broker-3', 2)).toBe('pong:runnel-broker-3');
    expect(n.replication.get(3)!.isBlocked(4)).toBe(true);

    n.isolate(3);
    await ctl31.closed;
    expect(n.blocked()).toEqual(['1->3', '2->3', '3->1', '3->2', '3->4', '3->5', '4->3', '5->3']);
    expect(n.control.get('3->2')!.isBlocked(3)).toBe(true);
    expect(await raft12.ask('raft-1', 2)).toBe('pong:raft-1');
    const refused = await Client.connect(voterPort(3, 2));
    await refused.closed;

    n.heal();
    expect(n.blocked()).toEqual([]);
    const back = await Client.connect(voterPort(3, 1));
    expect(await back.ask('runnel-broker-3', 3)).toBe('pong:runnel-broker-3');
    const back34 = await Client.connect(n.replicationAddress(4).port);
    expect(await back34.ask('runnel-broker-3-replica-fetcher', 3)).toBe('pong:runnel-broker-3-replica-fetcher');
    expect(n.stats()['replication->4']).toMatchObject({ accepted: { '3': 2, '5': 1 }, dropped: { '3': 1 } });
    for (const c of [fetch54, raft12, back, back34]) c.close();
  });
});

describe('RunnelCluster proxied (fake nodes)', () => {
  it('gives brokers a REPLICATION listener (mapped to PLAINTEXT) advertised at its proxy, per-node voters, and nodeOverrides', async () => {
    const entry = path.join(__dirname, 'fixtures', 'fake-node.js');
    const cluster = await RunnelCluster.start({
      brokers: 3,
      combined: 1,
      proxied: true,
      entry,
      namePrefix: 'fake-proxied',
      overrides: { 'num.partitions': 2 },
      nodeOverrides: (id) => (id === 2 ? { 'broker.rack': 'r2' } : undefined),
    });
    try {
      const net1 = cluster.net;
      const o = cluster.nodes.map((n) => n.overrides());
      const [b1, b2, b3] = cluster.nodes;
      expect(o[1].listeners).toMatch(new RegExp(`^PLAINTEXT://127.0.0.1:${b2.kafkaPort},REPLICATION://127.0.0.1:(\\d+)$`));
      expect(o[0].listeners).toMatch(/^PLAINTEXT:\/\/127.0.0.1:\d+,REPLICATION:\/\/127.0.0.1:\d+,CONTROLLER:\/\/127.0.0.1:\d+$/);
      const replicationPort = Number(/REPLICATION:\/\/127.0.0.1:(\d+)/.exec(o[1].listeners)![1]);
      expect(replicationPort).not.toBe(net1.replicationAddress(2).port);
      expect(o[1]['advertised.listeners']).toBe(`PLAINTEXT://127.0.0.1:${b2.kafkaPort},REPLICATION://127.0.0.1:${net1.replicationAddress(2).port}`);
      expect(o[1]['inter.broker.listener.name']).toBe('REPLICATION');
      expect(o[1]['listener.security.protocol.map']).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,REPLICATION:PLAINTEXT');
      expect(o[0]['controller.quorum.voters']).toBe(`1@127.0.0.1:${b1.controllerPort}`);
      expect(o[1]['controller.quorum.voters']).toBe(`1@${net1.control.get('2->1')!.address}`);
      expect(o[2]['controller.quorum.voters']).toBe(`1@${net1.control.get('3->1')!.address}`);
      expect(o.map((x) => x['num.partitions'])).toEqual(['2', '2', '2']);
      expect(o.map((x) => x['broker.rack'])).toEqual([undefined, 'r2', undefined]);
      expect(b3.running).toBe(true);
      cluster.isolate(2);
      expect(net1.blocked()).toEqual(['1->2', '2->1', '2->3', '3->2']);
      cluster.heal();
      expect(net1.blocked()).toEqual([]);
    } finally {
      await cluster.cleanup();
    }
  });
});
