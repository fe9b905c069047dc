// The contract every API handler follows. One handler per Kafka API, listed in handlers/index.ts;
// ApiVersions advertises exactly the registered [minVersion, maxVersion] ranges.
import type { BrokerServices } from '../services';

export interface RequestContext {
  /** Kafka API key and the version the client used. */
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** client.id from the request header (null when the client sent none). */
  readonly clientId: string | null;
  /** Listener name the request arrived on (e.g. 'PLAINTEXT'). */
  readonly listener: string;
  /** Unique per TCP connection for this process (useful for logs and per-connection state). */
  readonly connectionId: number;
  /** Remote address as 'host:port'. */
  readonly clientAddress: string;
  /** Monotonic start time of the request (process.hrtime.bigint()). */
  readonly startedAt: bigint;
  /**
   * Run `fn` once the response has been handed to the kernel (or dropped with the connection): e.g. give read
   * buffers back to the storage pool. With no response (acks=0) it runs right after the handler.
   */
  afterResponse?(fn: () => void): void;
  /** Aborted when the client's connection closes (long-polls stop waiting). */
  readonly signal: AbortSignal;
  /** Everything the broker offers handlers: config, metadata cache, controller channel, partitions, metrics. */
  readonly services: BrokerServices;
}

export interface ApiHandler<Req = any, Res = any> {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Handle one decoded request body. Return the response body (encoded with the request's version),
   * or null to send no response at all (Produce with acks=0).
   * Throwing a KafkaProtocolError (or any error) closes the connection after a log line, unless the handler
   * also implements errorResponse.
   */
  handle(ctx: RequestContext, request: Req): Promise<Res | null>;
  /** Optional: build a whole-request error response (every partition/topic carrying `errorCode`). */
  errorResponse?(ctx: RequestContext, request: Req, errorCode: number): Res;
}
