// The broker's link to the controller quorum: registration/heartbeats use it, and admin requests that change
// metadata are forwarded through it unchanged, then the broker waits (bounded) until its own metadata image
// reflects the change, so a client that asks this broker right after gets a consistent answer.
import { KafkaConnection } from '@runnel/client';
import { API_SPECS } from '@runnel/protocol';
import type { Logger } from '../util/logger';
import type { MetadataCache } from '../metadata/metadata-cache';
import { withTimeout } from '../util/with-timeout';

export interface ControllerVoter {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

export interface ControllerChannelOptions {
  readonly voters: readonly ControllerVoter[];
  readonly clientId: string;
  readonly metadata: MetadataCache;
  readonly log: Logger;
  /** Per-request timeout (ms). */
  readonly requestTimeoutMs?: number;
}

/** Parse `controller.quorum.voters` ("1@host:9093,2@host:9094"). */
export function parseVoters(value: string): ControllerVoter[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^(\d+)@(.+):(\d+)$/.exec(s);
      if (!m) throw new Error(`controller.quorum.voters: cannot parse "${s}" (expected id@host:port)`);
      return { id: Number(m[1]), host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
    });
}

const NOT_CONTROLLER = 41;
const RETRY_BACKOFF_MS = 150;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ControllerChannel {
  private conn: KafkaConnection | null = null;
  private connecting: Promise<KafkaConnection> | null = null;
  private versions = new Map<number, { min: number; max: number }>();
  private voterIndex = 0;
  private closed = false;

  constructor(private readonly opts: ControllerChannelOptions) {}

  /**
   * Send one request to the active controller and return the decoded response body. With several voters only the
   * Raft leader serves: a top-level NOT_CONTROLLER answer, or a voter we cannot connect to, moves on to the leader
   * (or the next voter) and retries until `requestTimeoutMs`. A request that was sent but got no answer is not
   * retried (it may have been applied).
   */
  async send<Res = any>(apiKey: number, version: number, body: unknown): Promise<Res> {
    const timeoutMs = this.opts.requestTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let conn: KafkaConnection;
      try {
        conn = await this.connection();
      } catch (err) {
        if (Date.now() + RETRY_BACKOFF_MS >= deadline || this.closed) throw err;
        await sleep(RETRY_BACKOFF_MS);
        continue;
      }
      let res: Res;
      try {
        const ms = Math.max(deadline - Date.now(), 1);
        res = await withTimeout(conn.send(apiKey, version, body as any) as Promise<Res>, ms, `controller request timed out after ${ms} ms`);
      } catch (err) {
        // A broken connection is dropped so the next call reconnects (maybe to another voter).
        this.dropConnection(conn);
        throw err;
      }
      const code = (res as { errorCode?: number } | null)?.errorCode;
      if (code === NOT_CONTROLLER && Date.now() + RETRY_BACKOFF_MS < deadline && !this.closed) {
        this.notController();
        await sleep(RETRY_BACKOFF_MS);
        continue;
      }
      return res;
    }
  }

  /**
   * The voter we talk to is not the active controller (NOT_CONTROLLER / NOT_LEADER_OR_FOLLOWER): reconnect to
   * `leaderId` when it names a voter, else to the next voter in controller.quorum.voters.
   */
  notController(leaderId?: number): void {
    const voters = this.opts.voters;
    const idx = leaderId !== undefined && leaderId >= 0 ? voters.findIndex((v) => v.id === leaderId) : -1;
    const current = this.voterIndex;
    this.voterIndex = idx >= 0 ? idx : (current + 1) % Math.max(voters.length, 1);
    if (this.conn && (idx < 0 || idx !== current)) this.dropConnection(this.conn);
  }

  /** Highest version of `apiKey` both this broker (up to `wanted`) and the controller support, or -1. */
  async commonVersion(apiKey: number, wanted: number): Promise<number> {
    await this.connection();
    const theirs = this.versions.get(apiKey);
    const spec = API_SPECS[apiKey];
    const ours = spec ? spec.validVersions[1] : wanted;
    if (!theirs) return -1;
    const v = Math.min(wanted, theirs.max, ours);
    return v < theirs.min ? -1 : v;
  }

  /**
   * Forward a client's admin request unchanged (decoded body at `version`) at the highest version both sides
   * support. The decoded response body can be encoded back at the client's `version` (absent fields take the
   * spec defaults).
   */
  async forward<Res = any>(apiKey: number, version: number, body: unknown): Promise<Res> {
    const v = await this.commonVersion(apiKey, version);
    if (v < 0) throw new Error(`controller does not support API ${apiKey} near v${version}`);
    return this.send<Res>(apiKey, v, body);
  }

  /**
   * forward(), then wait up to `timeoutMs` until `until(metadata)` holds. `caughtUp` false means the controller
   * accepted the change but this broker's image has not shown it yet.
   */
  async forwardAndWait<Res = any>(
    apiKey: number,
    version: number,
    body: unknown,
    until: (metadata: MetadataCache, response: Res) => boolean,
    timeoutMs = 10_000,
  ): Promise<{ response: Res; caughtUp: boolean }> {
    const response = await this.forward<Res>(apiKey, version, body);
    const caughtUp = await this.opts.metadata.waitUntil((m) => until(m, response), timeoutMs);
    return { response, caughtUp };
  }

  close(): void {
    this.closed = true;
    if (this.conn) this.dropConnection(this.conn);
  }

  private async connection(): Promise<KafkaConnection> {
    if (this.closed) throw new Error('controller channel closed');
    if (this.conn) return this.conn;
    if (!this.connecting) {
      this.connecting = this.open().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<KafkaConnection> {
    const voters = this.opts.voters;
    if (voters.length === 0) throw new Error('controller.quorum.voters is empty');
    let lastErr: unknown;
    for (let i = 0; i < voters.length; i++) {
      const voter = voters[(this.voterIndex + i) % voters.length];
      try {
        const conn = await KafkaConnection.connect({ host: voter.host, port: voter.port, clientId: this.opts.clientId });
        const versions = await conn.negotiateVersions();
        this.versions = toVersionMap(versions);
        this.voterIndex = (this.voterIndex + i) % voters.length;
        this.conn = conn;
        return conn;
      } catch (err) {
        lastErr = err;
      }
    }
    this.voterIndex = (this.voterIndex + 1) % voters.length;
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  private dropConnection(conn: KafkaConnection): void {
    if (this.conn === conn) this.conn = null;
    try {
      void Promise.resolve(conn.close()).catch(() => undefined);
    } catch {
      /* already closed */
    }
  }
}

function toVersionMap(v: unknown): Map<number, { min: number; max: number }> {
  const out = new Map<number, { min: number; max: number }>();
  if (v instanceof Map) {
    for (const [k, r] of v as Map<number, any>) out.set(Number(k), { min: r.min ?? r.minVersion, max: r.max ?? r.maxVersion });
  } else if (Array.isArray(v)) {
    for (const r of v as any[]) out.set(r.apiKey, { min: r.minVersion ?? r.min, max: r.maxVersion ?? r.max });
  } else if (v && typeof v === 'object') {
    for (const [k, r] of Object.entries(v as Record<string, any>)) out.set(Number(k), { min: r.min ?? r.minVersion, max: r.max ?? r.maxVersion });
  }
  return out;
}
