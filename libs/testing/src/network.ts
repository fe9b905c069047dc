import { CutMode, LinkProxy, LinkProxyStats } from './link-proxy';

/**
 * The links between the nodes of a test cluster, each behind a LinkProxy in the test process, so a test can
 * cut them (no product change needed):
 *
 * - broker -> broker (replication): each broker advertises its REPLICATION listener at a proxy shared by the
 *   other brokers; the proxy tells them apart by the client id of their first request (runnel-broker-<id>...).
 * - node -> controller (broker registration, heartbeats, metadata, AlterPartition; Raft between controllers):
 *   every node gets its own controller.quorum.voters whose addresses are per-(node, controller) proxies.
 *
 * Client listeners (PLAINTEXT) are never proxied: clients keep reaching an isolated node.
 */
export interface NetworkSpec {
  /** Brokers and the real port of their replication listener. */
  brokers: Array<{ nodeId: number; replicationPort: number }>;
  /** Controllers and the real port of their controller listener. */
  controllers: Array<{ nodeId: number; controllerPort: number }>;
  /** Every node id (brokers and controllers; combined nodes once). */
  nodes: number[];
  host?: string;
}

export class ClusterNetwork {
  /** Per broker: the proxy in front of its replication listener. */
  readonly replication = new Map<number, LinkProxy>();
  /** Per `${from}->${controller}`: node `from`'s route to a controller. */
  readonly control = new Map<string, LinkProxy>();
  private readonly blockedLinks = new Map<string, CutMode>();

  private constructor(readonly spec: NetworkSpec) {}

  static async create(spec: NetworkSpec): Promise<ClusterNetwork> {
    const net = new ClusterNetwork(spec);
    const host = spec.host ?? '127.0.0.1';
    try {
      for (const b of spec.brokers) {
        const p = new LinkProxy({ target: { host, port: b.replicationPort }, to: b.nodeId, host, name: `replication->${b.nodeId}` });
        await p.start();
        net.replication.set(b.nodeId, p);
      }
      for (const from of spec.nodes) {
        for (const c of spec.controllers) {
          if (c.nodeId === from) continue; // a combined node reaches its own controller directly
          const p = new LinkProxy({ target: { host, port: c.controllerPort }, from, to: c.nodeId, host, name: `${from}->controller-${c.nodeId}` });
          await p.start();
          net.control.set(`${from}->${c.nodeId}`, p);
        }
      }
    } catch (e) {
      await net.close();
      throw e;
    }
    return net;
  }

  /** The address broker `brokerId` advertises for its replication listener (its proxy). */
  replicationAddress(brokerId: number): { host: string; port: number } {
    const p = this.replication.get(brokerId);
    if (!p) throw new Error(`no replication proxy for broker ${brokerId}`);
    return { host: p.host, port: p.port };
  }

  /** controller.quorum.voters for node `nodeId`: every controller through this node's own proxy. */
  votersFor(nodeId: number): string {
    const host = this.spec.host ?? '127.0.0.1';
    return this.spec.controllers
      .map((c) => {
        if (c.nodeId === nodeId) return `${c.nodeId}@${host}:${c.controllerPort}`;
        return `${c.nodeId}@${this.control.get(`${nodeId}->${c.nodeId}`)!.address}`;
      })
      .join(',');
  }

  /** One direction: `from` can no longer reach `to` (its connections to `to` drop, new ones are refused). */
  block(from: number, to: number, mode: CutMode = 'reset'): void {
    if (from === to) return;
    this.blockedLinks.set(`${from}->${to}`, mode);
    this.replication.get(to)?.block(from, mode);
    this.control.get(`${from}->${to}`)?.block(from, mode);
  }

  unblock(from: number, to: number): void {
    this.blockedLinks.delete(`${from}->${to}`);
    this.replication.get(to)?.unblock(from);
    this.control.get(`${from}->${to}`)?.unblock(from);
  }

  /** Cuts the link between a and b both ways (replication and controller traffic). */
  cut(a: number, b: number, mode: CutMode = 'reset'): void {
    this.block(a, b, mode);
    this.block(b, a, mode);
  }

  /** Restores the link between a and b. */
  restore(a: number, b: number): void {
    this.unblock(a, b);
    this.unblock(b, a);
  }

  /** Cuts `nodeId` from every other node; clients still reach its client listener. */
  isolate(nodeId: number, mode: CutMode = 'reset'): void {
    for (const other of this.spec.nodes) if (other !== nodeId) this.cut(nodeId, other, mode);
  }

  /** Restores every link. */
  heal(): void {
    for (const key of [...this.blockedLinks.keys()]) {
      const [from, to] = key.split('->').map(Number);
      this.unblock(from, to);
    }
  }

  /** The blocked directions, as "from->to". */
  blocked(): string[] {
    return [...this.blockedLinks.keys()].sort();
  }

  isBlocked(from: number, to: number): boolean {
    return this.blockedLinks.has(`${from}->${to}`);
  }

  /** Every proxy with its counters (for assertions that traffic really went through them). */
  stats(): Record<string, LinkProxyStats> {
    const out: Record<string, LinkProxyStats> = {};
    for (const p of [...this.replication.values(), ...this.control.values()]) out[p.name] = p.stats();
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.replication.values(), ...this.control.values()].map((p) => p.close()));
  }
}
