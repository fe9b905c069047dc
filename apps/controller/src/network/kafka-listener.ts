import * as net from 'node:net';
import {
  ApiKey,
  ErrorCode,
  FrameDecoder,
  KafkaProtocolError,
  Reader,
  apiName,
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
} from '@runnel/protocol';
import { ControllerApiHandler, ControllerRequestContext } from './handler';
import { createLogger } from '../util/logger';

export interface ListenerOptions {
  host: string;
  port: number;
  /** socket.request.max.bytes: frames above it close the connection before being buffered. */
  maxRequestBytes: number;
  /** connections.max.idle.ms (0 = never). */
  idleTimeoutMs: number;
  /** Requests in flight per connection before the socket stops being read. */
  maxInFlight?: number;
}

export interface ListenerObserver {
  onRequest?(apiKey: number, seconds: number, errorCount: number): void;
  onConnection?(delta: number): void;
}

interface Slot {
  done: boolean;
  chunks: Buffer[] | null;
}

/**
 * The controller's Kafka-protocol TCP listener: frames with a size check before buffering,
 * decodes headers, dispatches to handlers, and writes responses in request order (pipelined
 * requests may complete out of order). Garbage or undecodable frames close that connection
 * with a log line; nothing a client sends can stop the listener.
 */
export class KafkaListener {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly handlers = new Map<number, ControllerApiHandler>();
  private readonly logger = createLogger('net');
  private nextConnectionId = 1;
  boundPort = 0;

  constructor(private readonly opts: ListenerOptions, handlers: ControllerApiHandler[], private readonly observer: ListenerObserver = {}) {
    for (const h of handlers) this.handlers.set(h.apiKey, h);
  }

  /** ApiVersions entries: exactly the handlers registered. */
  apiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...this.handlers.values()]
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  async listen(): Promise<number> {
    const server = net.createServer((s) => this.onConnection(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.logger.error(`listener error: ${e.message}`));
    this.boundPort = (server.address() as net.AddressInfo).port;
    return this.boundPort;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private onConnection(socket: net.Socket): void {
    const id = this.nextConnectionId++;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    this.observer.onConnection?.(1);
    socket.setNoDelay(true);
    if (this.opts.idleTimeoutMs > 0) {
      socket.setTimeout(this.opts.idleTimeoutMs, () => {
        this.logger.debug(`closing idle connection ${id} from ${remote}`);
        socket.destroy();
      });
    }
    const decoder = new FrameDecoder(this.opts.maxRequestBytes);
    const slots: Slot[] = [];
    const maxInFlight = this.opts.maxInFlight ?? 100;
    let closed = false;

    const flush = () => {
      while (slots.length > 0 && slots[0].done) {
        const s = slots.shift()!;
        if (s.chunks && !closed) {
          socket.cork();
          for (const c of s.chunks) socket.write(c);
          socket.uncork();
          if (socket.writableNeedDrain) socket.pause();
        }
      }
      maybeResume();
    };

    // Stop reading while responses pile up unsent (a client that does not read) or too many are in flight.
    const maybeResume = () => {
      if (!closed && socket.isPaused() && slots.length < maxInFlight && !socket.writableNeedDrain) socket.resume();
    };
    socket.on('drain', maybeResume);

    const kill = (why: string) => {
      if (closed) return;
      closed = true;
      this.logger.warn(`closing connection ${id} from ${remote}: ${why}`);
      socket.destroy();
    };

    socket.on('data', (data) => {
      if (closed) return;
      let frames: Buffer[];
      try {
        frames = decoder.push(data);
      } catch (e) {
        return kill((e as Error).message);
      }
      for (const frame of frames) {
        if (closed) return;
        const slot: Slot = { done: false, chunks: null };
        slots.push(slot);
        this.dispatch(frame, id, remote).then(
          (chunks) => {
            slot.done = true;
            slot.chunks = chunks;
            flush();
          },
          (e) => {
            slot.done = true;
            kill((e as Error).message);
          },
        ).catch((e) => kill(`response write failed: ${(e as Error).message}`));
      }
      if (slots.length >= maxInFlight || socket.writableNeedDrain) socket.pause();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      this.sockets.delete(socket);
      this.observer.onConnection?.(-1);
    });
  }

  /** Returns the response frame, null for no response; throws to close the connection. */
  private async dispatch(frame: Buffer, connectionId: number, clientAddress: string): Promise<Buffer[] | null> {
    if (frame.length < 8) throw new Error(`request frame of ${frame.length} bytes is too short for a header`);
    const reader = new Reader(frame);
    const header = decodeRequestHeader(reader);
    const t0 = process.hrtime.bigint();
    const handler = this.handlers.get(header.apiKey);
    const supported = handler && header.apiVersion >= handler.minVersion && header.apiVersion <= handler.maxVersion;
    if (!supported) {
      if (header.apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer an unknown ApiVersions version with a v0 body listing what we support.
        this.observer.onRequest?.(header.apiKey, 0, 1);
        return encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: this.apiVersions(),
        } as any);
      }
      throw new KafkaProtocolError(
        ErrorCode.UNSUPPORTED_VERSION,
        `unsupported request ${apiName(header.apiKey) ?? header.apiKey} v${header.apiVersion} on the controller listener`,
      );
    }
    const body = decodeRequest(header.apiKey, header.apiVersion, reader);
    const ctx: ControllerRequestContext = { header, connectionId, clientAddress };
    const response = await handler!.handle(ctx, body);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    this.observer.onRequest?.(header.apiKey, seconds, countErrors(response));
    if (response === null || response === undefined) return null;
    return encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response);
  }
}

/** Non-zero errorCode fields in a response (records buffers are not walked). */
export function countErrors(body: unknown, depth = 0): number {
  if (!body || typeof body !== 'object' || Buffer.isBuffer(body) || depth > 6) return 0;
  let n = 0;
  if (Array.isArray(body)) {
    for (const x of body) n += countErrors(x, depth + 1);
    return n;
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === 'errorCode' && typeof v === 'number' && v !== 0) n++;
    else if (v && typeof v === 'object') n += countErrors(v, depth + 1);
  }
  return n;
}
