// One TCP server per client listener (PLAINTEXT://host:port). Sockets are bound at startup so the real ports are
// known for registration, but connections are only served once the broker is ready (metadata caught up);
// until then they wait, paused.
import * as net from 'node:net';
import type { Logger } from '../util/logger';
import type { BrokerMetrics } from '../metrics/broker.metrics';
import { Connection, FrameHandler } from './connection';

export interface ListenerSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

export interface KafkaServerOptions {
  readonly listeners: readonly ListenerSpec[];
  readonly handler: FrameHandler;
  readonly maxRequestBytes: number;
  readonly idleTimeoutMs: number;
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
  readonly maxInFlight?: number;
  readonly maxQueuedResponseBytes?: number;
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when that was 0). */
  readonly boundPort: number;
}

export class KafkaServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly waiting: Array<{ socket: net.Socket; listener: string }> = [];
  private nextId = 1;
  private serving = false;
  private bound: BoundListener[] = [];

  constructor(private readonly opts: KafkaServerOptions) {}

  get listeners(): readonly BoundListener[] {
    return this.bound;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async bind(): Promise<BoundListener[]> {
    for (const l of this.opts.listeners) {
      if (l.securityProtocol !== 'PLAINTEXT') {
        throw new Error(`listener ${l.name} uses ${l.securityProtocol}; only PLAINTEXT listeners are supported`);
      }
      const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket, l.name));
      server.on('error', (err) => this.opts.log.error(`listener ${l.name} error`, err));
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void =>
          reject(new Error(`cannot listen on ${l.host || '0.0.0.0'}:${l.port} for listener ${l.name} (listeners): ${err.code ?? err.message}`));
        server.once('error', onError);
        server.listen(l.port, l.host || undefined, () => {
          server.off('error', onError);
          resolve();
        });
      });
      const port = (server.address() as net.AddressInfo).port;
      this.servers.push(server);
      this.bound.push({ ...l, boundPort: port });
      this.opts.log.info(`listening for Kafka clients on ${l.name}://${l.host || '0.0.0.0'}:${port}`);
    }
    return this.bound;
  }

  /** Start serving (and serve connections that arrived early). */
  open(): void {
    this.serving = true;
    for (const w of this.waiting.splice(0)) {
      w.socket.resume();
      this.attach(w.socket, w.listener);
    }
  }

  async close(): Promise<void> {
    this.serving = false;
    // A listener's close callback only fires once every connection has ended, so end ours now rather than
    // wait for clients that keep theirs open (most do) to go away on their own.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const w of this.waiting.splice(0)) w.socket.destroy();
    for (const c of [...this.connections]) c.close('shutdown');
    await closed;
  }

  private accept(socket: net.Socket, listener: string): void {
    if (!this.serving) {
      socket.pause();
      socket.on('error', () => undefined);
      this.waiting.push({ socket, listener });
      return;
    }
    this.attach(socket, listener);
  }

  private attach(socket: net.Socket, listener: string): void {
    if (socket.destroyed) return;
    const { metrics } = this.opts;
    const conn = new Connection(socket, this.opts.handler, {
      id: this.nextId++,
      listener,
      maxRequestBytes: this.opts.maxRequestBytes,
      idleTimeoutMs: this.opts.idleTimeoutMs,
      maxInFlight: this.opts.maxInFlight,
      maxQueuedResponseBytes: this.opts.maxQueuedResponseBytes,
      log: this.opts.log,
      onClose: (c, reason) => {
        this.connections.delete(c);
        metrics.connections.dec({ listener });
        metrics.connectionsClosed.inc({ listener, reason });
      },
    });
    this.connections.add(conn);
    metrics.connections.inc({ listener });
    metrics.connectionsCreated.inc({ listener });
  }
}
