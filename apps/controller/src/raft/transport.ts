import { KafkaConnection } from '@runnel/client';

/** Separate connections per purpose: a long-polling Fetch must not hold up Vote answers (responses are in order). */
export type RaftChannel = 'rpc' | 'fetch';

/** How a Raft replica reaches the other voters' controller listeners. */
export interface RaftTransport {
  send(voterId: number, channel: RaftChannel, apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<any>;
  close(): Promise<void>;
}

export interface VoterEndpoint {
  nodeId: number;
  host: string;
  port: number;
}

/** One lazily opened KafkaConnection per (voter, channel); a failed request drops its connection. */
export class NetworkRaftTransport implements RaftTransport {
  private readonly conns = new Map<string, Promise<KafkaConnection>>();
  private closed = false;

  constructor(private readonly endpoints: VoterEndpoint[], private readonly clientId: string) {}

  async send(voterId: number, channel: RaftChannel, apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<any> {
    if (this.closed) throw new Error('raft transport closed');
    const key = `${voterId}/${channel}`;
    let pending = this.conns.get(key);
    if (!pending) {
      const ep = this.endpoints.find((e) => e.nodeId === voterId);
      if (!ep) throw new Error(`unknown voter ${voterId}`);
      pending = KafkaConnection.connect({
        host: ep.host,
        port: ep.port,
        clientId: this.clientId,
        connectTimeoutMs: Math.max(100, Math.min(timeoutMs, 2000)),
      });
      this.conns.set(key, pending);
      pending.catch(() => {
        if (this.conns.get(key) === pending) this.conns.delete(key);
      });
    }
    const conn = await pending;
    try {
      return await conn.send(apiKey, version, body as any, { timeoutMs });
    } catch (e) {
      if (this.conns.get(key) === pending) this.conns.delete(key);
      void Promise.resolve(conn.close()).catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    for (const p of all) {
      p.then((c) => c.close()).catch(() => undefined);
    }
  }
}
