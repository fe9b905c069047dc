import { freePort } from './ports';
import { NodeOptions, Role, RunnelNode } from './node';

export interface ClusterOptions {
  /** Dedicated controller count (ids 1..n); 0 = the first `combined` brokers run controllers too. */
  controllers?: number;
  brokers?: number;
  /** With controllers = 0: how many brokers also run the controller role (default 1). */
  combined?: number;
  /** Overrides applied to every node. */
  overrides?: Record<string, string | number | boolean>;
  readyTimeoutMs?: number;
  namePrefix?: string;
  entry?: string;
}

/**
 * Several RunnelNodes sharing one quorum (for multi-node tests). Controllers get ids 1..c, brokers
 * the following ids (or, in combined mode, brokers 1..b with the first ones also controllers).
 */
export class RunnelCluster {
  constructor(readonly nodes: RunnelNode[]) {}

  static async start(options: ClusterOptions = {}): Promise<RunnelCluster> {
    const brokers = options.brokers ?? 1;
    const controllers = options.controllers ?? 0;
    const specs: Array<{ nodeId: number; roles: Role[] }> = [];
    if (controllers > 0) {
      for (let i = 1; i <= controllers; i++) specs.push({ nodeId: i, roles: ['controller'] });
      for (let i = 1; i <= brokers; i++) specs.push({ nodeId: controllers + i, roles: ['broker'] });
    } else {
      const combined = Math.max(1, Math.min(options.combined ?? 1, brokers));
      for (let i = 1; i <= brokers; i++) specs.push({ nodeId: i, roles: i <= combined ? ['broker', 'controller'] : ['broker'] });
    }
    const controllerPorts = new Map<number, number>();
    for (const s of specs) if (s.roles.includes('controller')) controllerPorts.set(s.nodeId, await freePort());
    const voters = [...controllerPorts].map(([id, port]) => `${id}@127.0.0.1:${port}`).join(',');
    const nodes = specs.map((s) => {
      const o: NodeOptions = {
        name: `${options.namePrefix ?? 'cluster'}-n${s.nodeId}`,
        nodeId: s.nodeId,
        roles: s.roles,
        controllerPort: controllerPorts.get(s.nodeId),
        quorumVoters: voters,
        overrides: options.overrides,
        readyTimeoutMs: options.readyTimeoutMs,
        entry: options.entry,
      };
      return new RunnelNode(o);
    });
    const cluster = new RunnelCluster(nodes);
    try {
      // Start all at once: a quorum of several voters only becomes ready together.
      await Promise.all(nodes.map((n) => n.start()));
    } catch (e) {
      await cluster.cleanup();
      throw e;
    }
    return cluster;
  }

  get brokers(): RunnelNode[] {
    return this.nodes.filter((n) => n.isBroker);
  }

  get controllers(): RunnelNode[] {
    return this.nodes.filter((n) => n.isController);
  }

  /** Bootstrap string listing every broker. */
  get bootstrap(): string {
    return this.brokers.map((b) => b.bootstrap).join(',');
  }

  node(nodeId: number): RunnelNode {
    const n = this.nodes.find((x) => x.nodeId === nodeId);
    if (!n) throw new Error(`no node ${nodeId}`);
    return n;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.cleanup()));
  }
}
