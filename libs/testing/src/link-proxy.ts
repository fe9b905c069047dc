import * as net from 'node:net';

/**
 * A TCP proxy in the test process, in front of one node's listener, that a test can use to cut network
 * links. Every accepted connection is attributed to a source node: either fixed (a proxy used by only
 * one node, e.g. node 4's route to controller 2) or learnt by peeking at the first Kafka request frame's
 * client id (a proxy shared by all brokers, e.g. the REPLICATION address a broker advertises). A blocked
 * source gets its connections dropped and new ones refused; other sources (and unattributed clients)
 * keep flowing.
 */

/** What a blocked link does: `reset` destroys the connections (fast failure), `blackhole` keeps them open but silent (timeouts). */
export type CutMode = 'reset' | 'blackhole';

export interface LinkProxyOptions {
  /** Where connections go (a function: the target may move). */
  target: { host: string; port: number } | (() => { host: string; port: number });
  /** The node behind the proxy (for messages and stats). */
  to?: number;
  /** Every connection comes from this node (no peeking). */
  from?: number;
  /** Maps a client id to its node (default: /runnel-broker-(\d+)/ or /^raft-(\d+)$/); undefined = not a node. */
  identify?: (clientId: string | null) => number | undefined;
  /** Address to listen on (default 127.0.0.1, an OS-chosen port unless `port`). */
  host?: string;
  port?: number;
  name?: string;
}

export interface LinkConnection {
  id: number;
  /** Source node, undefined until known (or for a plain client). */
  from: number | undefined;
  clientId: string | null;
  openedAt: number;
  bytesIn: number;
  bytesOut: number;
}

export interface LinkProxyStats {
  /** Connections accepted so far, by source node ('client' when not attributed). */
  accepted: Record<string, number>;
  /** Connections dropped or refused because their source was blocked, by source node. */
  dropped: Record<string, number>;
  /** Bytes forwarded, both directions. */
  bytes: number;
  open: number;
}

/** Reads the client id from the start of a Kafka request (header v1+). undefined = need more bytes; null = null client id. */
export function peekClientId(buf: Buffer): string | null | undefined {
  if (buf.length < 14) return undefined;
  const size = buf.readInt32BE(0);
  if (size < 10) throw new Error(`not a Kafka request (size ${size})`);
  const len = buf.readInt16BE(12);
  if (len < 0) return null;
  if (10 + len > size) throw new Error(`client id length ${len} exceeds the request size ${size}`);
  if (buf.length < 14 + len) return undefined;
  return buf.toString('utf8', 14, 14 + len);
}

/** Runnel's own client ids: brokers use runnel-broker-<id>[-purpose], controllers' Raft raft-<id>. */
export function nodeFromClientId(clientId: string | null): number | undefined {
  if (!clientId) return undefined;
  const m = /runnel-broker-(\d+)/.exec(clientId) ?? /^raft-(\d+)$/.exec(clientId);
  return m ? Number(m[1]) : undefined;
}

interface Conn extends LinkConnection {
  client: net.Socket;
  upstream: net.Socket | null;
  silenced: boolean;
}

const MAX_PEEK_BYTES = 64 * 1024;

export class LinkProxy {
  readonly name: string;
  readonly host: string;
  port = 0;
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  private readonly blocked = new Map<number, CutMode>();
  private nextId = 1;
  private readonly accepted = new Map<string, number>();
  private readonly droppedCount = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly options: LinkProxyOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.name = options.name ?? `proxy${options.from !== undefined ? `-${options.from}` : ''}->${options.to ?? '?'}`;
  }

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    if (this.server) return this.port;
    const server = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.options.port ?? 0, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** "host:port" of the proxy. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Blocks `from`: its open connections are dropped (or silenced) and new ones refused (or silenced). */
  block(from: number, mode: CutMode = 'reset'): void {
    this.blocked.set(from, mode);
    for (const c of [...this.conns]) if (c.from === from) this.applyBlock(c, mode);
  }

  /** Lets `from` through again; silenced (blackholed) connections are closed so both ends reconnect cleanly. */
  unblock(from: number): void {
    this.blocked.delete(from);
    for (const c of [...this.conns]) if (c.from === from && c.silenced) this.drop(c, false);
  }

  unblockAll(): void {
    for (const from of [...this.blocked.keys()]) this.unblock(from);
  }

  isBlocked(from: number): boolean {
    return this.blocked.has(from);
  }

  /** Open connections (a snapshot). */
  connections(): LinkConnection[] {
    return [...this.conns].map(({ id, from, clientId, openedAt, bytesIn, bytesOut }) => ({ id, from, clientId, openedAt, bytesIn, bytesOut }));
  }

  stats(): LinkProxyStats {
    return { accepted: Object.fromEntries(this.accepted), dropped: Object.fromEntries(this.droppedCount), bytes: this.bytes, open: this.conns.size };
  }

  /** Drops every connection, whatever its source (the link stays open for new ones). */
  dropAll(): void {
    for (const c of [...this.conns]) this.drop(c, false);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of [...this.conns]) this.drop(c, false);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private target(): { host: string; port: number } {
    const t = this.options.target;
    return typeof t === 'function' ? t() : t;
  }

  private accept(client: net.Socket): void {
    client.setNoDelay(true);
    const c: Conn = { id: this.nextId++, from: this.options.from, clientId: null, openedAt: Date.now(), bytesIn: 0, bytesOut: 0, client, upstream: null, silenced: false };
    this.conns.add(c);
    client.on('error', () => undefined);
    client.on('close', () => this.drop(c, false));
    if (c.from !== undefined) {
      this.count(this.accepted, c.from);
      const mode = this.blocked.get(c.from);
      if (mode) return this.applyBlock(c, mode);
      this.connectUpstream(c, []);
      client.on('data', (d: Buffer) => this.forward(c, d));
      return;
    }
    // Peek at the first request's client id before connecting to the target.
    let head = Buffer.alloc(0);
    const onPeek = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      let clientId: string | null | undefined;
      try {
        clientId = peekClientId(head);
      } catch {
        clientId = null; // not Kafka: forward it as an unattributed client
      }
      if (clientId === undefined && head.length < MAX_PEEK_BYTES) return;
      client.off('data', onPeek);
      c.clientId = clientId ?? null;
      c.from = (this.options.identify ?? nodeFromClientId)(c.clientId);
      this.count(this.accepted, c.from);
      const mode = c.from !== undefined ? this.blocked.get(c.from) : undefined;
      client.on('data', (more: Buffer) => this.forward(c, more));
      if (mode) return this.applyBlock(c, mode);
      this.connectUpstream(c, [head]);
    };
    client.on('data', onPeek);
  }

  private connectUpstream(c: Conn, pending: Buffer[]): void {
    if (!this.conns.has(c)) return;
    const { host, port } = this.target();
    const up = net.connect({ host, port });
    c.upstream = up;
    up.setNoDelay(true);
    for (const b of pending) this.forward(c, b);
    up.on('data', (d: Buffer) => {
      if (c.silenced) return;
      c.bytesOut += d.length;
      this.bytes += d.length;
      c.client.write(d);
    });
    up.on('error', () => undefined);
    up.on('close', () => this.drop(c, false));
  }

  private forward(c: Conn, d: Buffer): void {
    if (c.silenced || !c.upstream) return;
    c.bytesIn += d.length;
    this.bytes += d.length;
    c.upstream.write(d);
  }

  private applyBlock(c: Conn, mode: CutMode): void {
    if (mode === 'blackhole') {
      if (!c.silenced) this.count(this.droppedCount, c.from);
      c.silenced = true;
      return;
    }
    this.drop(c, true);
  }

  private drop(c: Conn, blocked: boolean): void {
    if (!this.conns.delete(c)) return;
    if (blocked) this.count(this.droppedCount, c.from);
    c.client.destroy();
    c.upstream?.destroy();
  }

  private count(map: Map<string, number>, from: number | undefined): void {
    const k = from === undefined ? 'client' : String(from);
    map.set(k, (map.get(k) ?? 0) + 1);
  }
}
