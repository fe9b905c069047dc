// From a request frame to its response chunks: decode the header, route to the handler registered for the key
// and version, encode the handler's answer with the request's version, and account for it in the metrics.
// Unknown keys/versions get UNSUPPORTED_VERSION (ApiVersions in its v0 layout, which every client can read);
// frames that don't decode close the connection (Connection logs the reason).
import {
  API_SPECS,
  ApiKey,
  ErrorCode,
  KafkaProtocolError,
  Reader,
  decodeRequest,
  decodeRequestHeader,
  encodeResponse,
  errorInfo,
} from '@runnel/protocol';
import type { Connection, FrameResult } from '../server/connection';
import type { BrokerServices } from '../services';
import type { RequestContext } from './handler';
import type { ApiRegistry } from './registry';

const UNSUPPORTED = ErrorCode.UNSUPPORTED_VERSION;

export class Dispatcher {
  constructor(
    private readonly registry: ApiRegistry,
    private readonly services: BrokerServices,
  ) {}

  /** The Connection frame handler. Synchronous up to the handler's first await (keeps produce order). */
  handleFrame(frame: Buffer, conn: Connection): Promise<FrameResult> | FrameResult {
    const startedAt = process.hrtime.bigint();
    const reader = new Reader(frame);
    const header = decodeRequestHeader(reader); // throws on garbage: the connection closes
    const { apiKey, apiVersion, correlationId } = header;
    const name = API_SPECS[apiKey]?.name ?? `Unknown${apiKey}`;
    const metrics = this.services.metrics;
    metrics.requests.inc({ request: name, version: String(apiVersion) });
    metrics.requestBytes.inc({ request: name }, frame.length + 4);

    const handler = this.registry.handler(apiKey, apiVersion);
    if (!handler) {
      metrics.requestErrors.inc({ request: name, error: 'UNSUPPORTED_VERSION' });
      this.services.log.debug(
        `connection ${conn.id}: ${name} v${apiVersion} from ${header.clientId ?? '-'} is not supported; answering UNSUPPORTED_VERSION`,
      );
      return this.unsupported(apiKey, correlationId, name);
    }

    let request: unknown;
    try {
      request = decodeRequest(apiKey, apiVersion, reader);
    } catch (err) {
      if (apiKey === ApiKey.ApiVersions) {
        // e.g. a v3 body we cannot parse: let the client fall back to v0 rather than drop it (librdkafka quirk).
        return this.unsupported(apiKey, correlationId, name);
      }
      throw new KafkaProtocolError(
        err instanceof KafkaProtocolError ? err.code : ErrorCode.CORRUPT_MESSAGE,
        `cannot decode ${name} v${apiVersion} (correlation id ${correlationId}): ${(err as Error).message}`,
      );
    }

    let releases: Array<() => void> | null = null;
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      listener: conn.listener,
      connectionId: conn.id,
      clientAddress: conn.remote,
      startedAt,
      services: this.services,
      signal: conn.signal,
      afterResponse: (fn) => (releases ??= []).push(fn),
    };
    const releaseAll = (): void => {
      if (!releases) return;
      for (const fn of releases.splice(0)) {
        try {
          fn();
        } catch {
          /* ignore */
        }
      }
    };

    let pending: Promise<unknown>;
    try {
      pending = handler.handle(ctx, request);
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.then(
      (body) => this.withRelease(this.finish(ctx, name, body), releases ? releaseAll : null),
      (err) => {
        releaseAll();
        if (handler.errorResponse) {
          const code = err instanceof KafkaProtocolError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
          this.services.log.warn(`${name} v${apiVersion} from ${conn.remote} failed (answering ${errorInfo(code).name}): ${(err as Error).message}`);
          return this.finish(ctx, name, handler.errorResponse(ctx, request, code));
        }
        throw err;
      },
    );
  }

  /** Attach the request's release hooks to its response (or run them now when there is none). */
  private withRelease(result: FrameResult, release: (() => void) | null): FrameResult {
    if (!release) return result;
    if (!result) {
      release();
      return null;
    }
    result.afterWrite = release;
    return result;
  }

  private finish(ctx: RequestContext, name: string, body: unknown): FrameResult {
    const metrics = this.services.metrics;
    metrics.requestDuration.observe({ request: name }, Number(process.hrtime.bigint() - ctx.startedAt) / 1e9);
    if (body === null || body === undefined) return null;
    countErrors(body, (code) => metrics.requestErrors.inc({ request: name, error: errorInfo(code).name }));
    const chunks = encodeResponse(ctx.apiKey, ctx.apiVersion, ctx.correlationId, body as any);
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    metrics.responseBytes.inc({ request: name }, bytes);
    return chunks;
  }

  /**
   * UNSUPPORTED_VERSION for a key/version we don't serve. ApiVersions gets its v0 layout with our table, so kafkajs
   * and librdkafka can retry with a version we do serve. For other APIs there is no layout the client could expect,
   * so it gets the correlation id followed by the error code.
   */
  private unsupported(apiKey: number, correlationId: number, name: string): FrameResult {
    if (apiKey === ApiKey.ApiVersions) {
      return encodeResponse(ApiKey.ApiVersions, 0, correlationId, {
        errorCode: UNSUPPORTED,
        apiKeys: this.registry.versions().map((v) => ({ ...v })),
        throttleTimeMs: 0,
      } as any);
    }
    void name;
    const out = Buffer.alloc(10);
    out.writeInt32BE(6, 0);
    out.writeInt32BE(correlationId, 4);
    out.writeInt16BE(UNSUPPORTED, 8);
    return [out];
  }
}

/** Calls `inc` for every non-zero errorCode in a response body (skips record Buffers). */
export function countErrors(body: unknown, inc: (code: number) => void): void {
  const walk = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'errorCode') {
        if (typeof x === 'number' && x !== 0) inc(x);
      } else if (typeof x === 'object') walk(x, depth + 1);
    }
  };
  walk(body, 0);
}
