import { randomBytes } from 'node:crypto';
import { freePort } from './ports';
import { NodeOptions, Role, RunnelNode } from './node';
import { ClusterNetwork } from './network';

/** libs/config's default listener.security.protocol.map (copied: the harness depends on no product code). */
const DEFAULT_SECURITY_PROTOCOL_MAP = 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';

/** A Kafka-style cluster id: 16 random bytes, base64url (22 characters), not starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The default map with `name` mapped to PLAINTEXT (replacing its entry if it has one). */
function protocolMap(name: string): string {
  const entries = DEFAULT_SECURITY_PROTOCOL_MAP.split(',').filter((e) => e.split(':')[0] !== name);
  return [...entries, `${name}:PLAINTEXT`].join(',');
}

export interface ClusterOptions {
  /** Dedicated controller count (ids 1..n); 0 = the first `combined` brokers run controllers too. */
  controllers?: number;
  brokers?: number;
  /** With controllers = 0: how many brokers also run the controller role (default 1). */
  combined?: number;
  /** Overrides applied to every node. */
  overrides?: Record<string, string | number | boolean>;
  /** Per-node overrides, applied after `overrides` (and after the harness's own settings). */
  nodeOverrides?: (nodeId: number, roles: Role[]) => Record<string, string | number | boolean> | undefined;
  /**
   * Route every inter-node link through a LinkProxy in the test process (cluster.network): brokers get a
   * REPLICATION listener (inter.broker.listener.name) advertised at a proxy, every node its own
   * controller.quorum.voters through per-(node, controller) proxies. Clients still connect directly.
   */
  proxied?: boolean;
  /**
   * Name of the brokers' replication listener in proxied mode (default REPLICATION, mapped to PLAINTEXT in
   * listener.security.protocol.map).
   */
  replicationListener?: string;
  readyTimeoutMs?: number;
  namePrefix?: string;
  entry?: string;
}

/**
 * Several RunnelNodes sharing one quorum (for multi-node tests). Controllers get ids 1..c, brokers
 * the following ids (or, in combined mode, brokers 1..b with the first ones also controllers).
 */
export class RunnelCluster {
  constructor(
    readonly nodes: RunnelNode[],
    /** The link proxies (only with `proxied: true`). */
    readonly network?: ClusterNetwork,
  ) {}

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
    let network: ClusterNetwork | undefined;
    const replicationPorts = new Map<number, number>();
    const kafkaPorts = new Map<number, number>();
    if (options.proxied) {
      for (const s of specs) {
        if (!s.roles.includes('broker')) continue;
        kafkaPorts.set(s.nodeId, await freePort());
        replicationPorts.set(s.nodeId, await freePort());
      }
      network = await ClusterNetwork.create({
        brokers: [...replicationPorts].map(([nodeId, replicationPort]) => ({ nodeId, replicationPort })),
        controllers: [...controllerPorts].map(([nodeId, controllerPort]) => ({ nodeId, controllerPort })),
        nodes: specs.map((s) => s.nodeId),
      });
    }
    const replication = (options.replicationListener ?? 'REPLICATION').toUpperCase();
    // Every voter must format its storage with the same cluster id (else they refuse each other's votes).
    const clusterId = String(options.overrides?.['cluster.id'] ?? newClusterId());
    const nodes = specs.map((s) => {
      const overrides: Record<string, string | number | boolean> = { 'cluster.id': clusterId, ...(options.overrides ?? {}) };
      let extraListeners: Record<string, number> | undefined;
      if (network && s.roles.includes('broker')) {
        const proxy = network.replicationAddress(s.nodeId);
        extraListeners = { [replication]: replicationPorts.get(s.nodeId)! };
        overrides['inter.broker.listener.name'] = replication;
        overrides['listener.security.protocol.map'] = protocolMap(replication);
        overrides['advertised.listeners'] = `PLAINTEXT://127.0.0.1:${kafkaPorts.get(s.nodeId)},${replication}://${proxy.host}:${proxy.port}`;
      }
      Object.assign(overrides, options.nodeOverrides?.(s.nodeId, s.roles) ?? {});
      const o: NodeOptions = {
        name: `${options.namePrefix ?? 'cluster'}-n${s.nodeId}`,
        nodeId: s.nodeId,
        roles: s.roles,
        kafkaPort: kafkaPorts.get(s.nodeId),
        controllerPort: controllerPorts.get(s.nodeId),
        quorumVoters: network ? network.votersFor(s.nodeId) : voters,
        overrides,
        extraListeners,
        readyTimeoutMs: options.readyTimeoutMs,
        entry: options.entry,
      };
      return new RunnelNode(o);
    });
    const cluster = new RunnelCluster(nodes, network);
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
    await this.network?.close();
  }

  /** The cluster.network of a proxied cluster (throws otherwise). */
  get net(): ClusterNetwork {
    if (!this.network) throw new Error('this cluster was started without proxied: true');
    return this.network;
  }

  /** Cuts the link between nodes a and b both ways (proxied clusters). */
  cut(a: number, b: number): void {
    this.net.cut(a, b);
  }

  /** Cuts a node from every other node; clients still reach it (proxied clusters). */
  isolate(nodeId: number): void {
    this.net.isolate(nodeId);
  }

  /** Restores every link (proxied clusters). */
  heal(): void {
    this.net.heal();
  }
}
