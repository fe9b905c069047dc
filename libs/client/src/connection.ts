import * as net from 'node:net';
import { ApiKey, decodeResponse, encodeRequest } from '@runnel/protocol';

export interface ConnectOptions {
  host: string;
  port: number;
  clientId?: string | null;
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Default per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Largest response frame accepted before the connection is dropped (default 100 MiB). */
  maxResponseBytes?: number;
}

export interface SendOptions {
  timeoutMs?: number;
  /** false for requests the peer does not answer (Produce with acks=0): resolves once written. */
  expectResponse?: boolean;
}

export type ConnectionErrorKind = 'connect' | 'timeout' | 'closed' | 'protocol' | 'unsupported';

/** Transport-level failure of a KafkaConnection (Kafka error codes in bodies are not errors here). */
export class KafkaConnectionError extends Error {
  constructor(readonly kind: ConnectionErrorKind, message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'KafkaConnectionError';
  }
}

export interface VersionRange { min: number; max: number }

interface Pending {
  apiKey: number;
  version: number;
  resolve: (body: any) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

const DEFAULT_MAX_RESPONSE = 100 * 1024 * 1024;

/**
 * One TCP connection to a Kafka-protocol peer. Requests are pipelined: each gets the next
 * correlation id and its promise settles when the response with that id arrives, in any order.
 */
export class KafkaConnection {
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedError: KafkaConnectionError | null = null;
  private closeWaiters: (() => void)[] = [];
  /** Peer's versions from the last negotiateVersions(), by api key. */
  apiVersions: Map<number, VersionRange> | null = null;

  private constructor(private readonly socket: net.Socket, private readonly opts: ConnectOptions) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.fail(new KafkaConnectionError('closed', `connection to ${this.address} failed: ${e.message}`, e)));
    socket.on('close', () => this.fail(new KafkaConnectionError('closed', `connection to ${this.address} closed`)));
  }

  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  static connect(opts: ConnectOptions): Promise<KafkaConnection> {
    const timeout = opts.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaConnectionError('connect', `timed out connecting to ${opts.host}:${opts.port} after ${timeout} ms`));
      }, timeout);
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(new KafkaConnectionError('connect', `cannot connect to ${opts.host}:${opts.port}: ${e.message}`, e));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new KafkaConnection(socket, opts));
      });
    });
  }

  /** Send one request; resolves with the decoded response body. */
  send<T = any>(apiKey: number, version: number, body: any, options: SendOptions = {}): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    let chunks: Buffer[];
    try {
      chunks = encodeRequest({ apiKey, apiVersion: version, correlationId, clientId: this.opts.clientId ?? null }, body);
    } catch (e) {
      return Promise.reject(e);
    }
    if (options.expectResponse === false) {
      return new Promise((resolve, reject) => {
        this.write(chunks, (err) => (err ? reject(err) : resolve(null as T)));
      });
    }
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000;
      const entry: Pending = { apiKey, version, resolve, reject, timer: null };
      entry.timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new KafkaConnectionError('timeout', `request ${apiKey}v${version} to ${this.address} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, entry);
      this.write(chunks, (err) => {
        if (err) this.settle(correlationId, err);
      });
    });
  }

  /**
   * ApiVersions handshake: asks with v3 and, if the peer only knows older versions, retries
   * with the highest version it reported (or v0). Returns the peer's ranges by api key.
   */
  async negotiateVersions(): Promise<Map<number, VersionRange>> {
    let version = 3;
    let resp: any;
    try {
      resp = await this.send(ApiKey.ApiVersions, version, { clientSoftwareName: 'runnel', clientSoftwareVersion: '0.1.0' });
    } catch (e) {
      // A peer that cannot answer v3 replies with a v0-shaped body the v3 decoder may reject.
      if (!(e instanceof KafkaConnectionError && e.kind === 'protocol')) throw e;
      resp = null;
    }
    if (!resp || resp.errorCode === 35) {
      const offered = resp?.apiKeys?.find((k: any) => k.apiKey === ApiKey.ApiVersions);
      version = offered ? Math.min(3, offered.maxVersion) : 0;
      resp = await this.send(ApiKey.ApiVersions, version, {});
    }
    if (resp.errorCode !== 0) {
      throw new KafkaConnectionError('protocol', `ApiVersions to ${this.address} failed with error code ${resp.errorCode}`);
    }
    const map = new Map<number, VersionRange>();
    for (const k of resp.apiKeys ?? []) map.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    this.apiVersions = map;
    return map;
  }

  /** Highest version both sides support, or throws 'unsupported' (needs negotiateVersions() first). */
  versionFor(apiKey: number, ourMin: number, ourMax: number): number {
    const theirs = this.apiVersions?.get(apiKey);
    if (!theirs) throw new KafkaConnectionError('unsupported', `${this.address} does not support api key ${apiKey}`);
    const v = Math.min(ourMax, theirs.max);
    if (v < Math.max(ourMin, theirs.min)) {
      throw new KafkaConnectionError('unsupported', `no common version for api key ${apiKey} with ${this.address}`);
    }
    return v;
  }

  /**
   * Send at the highest version both sides support within [ourMin, ourMax] (negotiating first if
   * needed). Resolves with the version used and the response body.
   */
  async request<T = any>(apiKey: number, body: any, range: { min: number; max: number }, options?: SendOptions): Promise<{ version: number; body: T }> {
    if (!this.apiVersions) await this.negotiateVersions();
    const version = this.versionFor(apiKey, range.min, range.max);
    return { version, body: await this.send<T>(apiKey, version, body, options) };
  }

  /** Closes the socket; pending requests fail with a 'closed' error. */
  close(): Promise<void> {
    if (this.closedError && this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      this.fail(new KafkaConnectionError('closed', `connection to ${this.address} closed by client`));
      this.socket.end();
      // Do not wait for a peer that never closes its side.
      setTimeout(() => this.socket.destroy(), 1000).unref();
      if (this.socket.destroyed) this.flushCloseWaiters();
      else this.socket.once('close', () => this.flushCloseWaiters());
    });
  }

  /** Register a callback for when the connection goes away (for whatever reason). */
  onClose(cb: (err: KafkaConnectionError) => void): void {
    if (this.closedError) cb(this.closedError);
    else this.socket.once('close', () => cb(this.closedError ?? new KafkaConnectionError('closed', 'closed')));
  }

  private flushCloseWaiters(): void {
    const w = this.closeWaiters;
    this.closeWaiters = [];
    for (const f of w) f();
  }

  private write(chunks: Buffer[], cb: (err?: Error) => void): void {
    // cork/uncork sends the frame's chunks in one syscall without concatenating them.
    this.socket.cork();
    for (let i = 0; i < chunks.length; i++) {
      this.socket.write(chunks[i], i === chunks.length - 1 ? (err) => cb(err ?? undefined) : undefined);
    }
    process.nextTick(() => this.socket.uncork());
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      const max = this.opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
      if (size < 4 || size > max) {
        this.fail(new KafkaConnectionError('protocol', `invalid response size ${size} from ${this.address}`));
        this.socket.destroy();
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = this.take(4 + size).subarray(4);
      this.onFrame(frame);
      if (this.closedError) return;
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return; // timed-out request answered late: drop it
    try {
      let body: any;
      try {
        body = decodeResponse(p.apiKey, p.version, frame).body;
      } catch (e) {
        // A peer that does not know our ApiVersions version answers with a v0 body (KIP-511).
        if (p.apiKey !== ApiKey.ApiVersions || p.version === 0) throw e;
        body = decodeResponse(p.apiKey, 0, frame).body;
      }
      this.settle(correlationId, null, body);
    } catch (e) {
      this.settle(
        correlationId,
        new KafkaConnectionError('protocol', `cannot decode response ${p.apiKey}v${p.version} from ${this.address}: ${(e as Error).message}`, e),
      );
    }
  }

  private settle(correlationId: number, err: Error | null, body?: any): void {
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    if (p.timer) clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(body);
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    let first = this.chunks[0];
    if (first.length < n) {
      first = Buffer.concat(this.chunks);
      this.chunks = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  private fail(err: KafkaConnectionError): void {
    if (!this.closedError) this.closedError = err;
    for (const id of [...this.pending.keys()]) this.settle(id, this.closedError);
    if (this.socket.destroyed) this.flushCloseWaiters();
  }
}
