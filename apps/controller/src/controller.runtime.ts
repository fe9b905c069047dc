import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import * as path from 'node:path';
import type { Registry } from 'prom-client';
import { KafkaConfig } from '@runnel/config';
import { METADATA_PARTITION, METADATA_TOPIC } from '@runnel/metadata';
import { METRICS_REGISTRY } from '@runnel/metrics';
import { PartitionLog, partitionDirName } from '@runnel/storage';
import { BrokerLifecycle } from './controller/broker-lifecycle';
import { QuorumController } from './controller/quorum-controller';
import { LeaderRebalancer } from './controller/leader-balance';
import { controllerHandlers, ControllerServices } from './handlers';
import { ControllerMetrics } from './metrics/controller.metrics';
import { KafkaListener } from './network/kafka-listener';
import { QuorumStateStore } from './raft/quorum-state';
import { RaftClient } from './raft/raft-client';
import { SnapshotManager, snapshotSettings } from './raft/snapshot-manager';
import { NetworkRaftTransport } from './raft/transport';
import { ensureClusterId } from './storage/meta-properties';
import { createLogger } from './util/logger';

export const CONTROLLER_CONFIG = 'RUNNEL_CONTROLLER_CONFIG';

/**
 * Owns the controller's moving parts and their order: meta.properties (cluster id), the metadata
 * log (@runnel/storage PartitionLog for __cluster_metadata-0), the Raft client and its quorum-state
 * file, the controller state machine, broker sessions, and the Kafka listener. Started explicitly by
 * bootstrap (so a failure can be cleaned up) and stopped by Nest's shutdown hooks.
 */
@Injectable()
export class ControllerRuntime implements BeforeApplicationShutdown {
  private readonly logger = createLogger('main');
  readonly metrics: ControllerMetrics;
  log: PartitionLog | null = null;
  raft: RaftClient | null = null;
  controller: QuorumController | null = null;
  brokers: BrokerLifecycle | null = null;
  rebalancer: LeaderRebalancer | null = null;
  snapshots: SnapshotManager | null = null;
  listener: KafkaListener | null = null;
  clusterId = '';
  private stopped = false;

  constructor(@Inject(CONTROLLER_CONFIG) readonly config: KafkaConfig, @Inject(METRICS_REGISTRY) registry: Registry) {
    this.metrics = new ControllerMetrics(registry);
  }

  /** Ready: the active controller, or (several voters) a voter following a known leader. */
  get ready(): boolean {
    if (this.stopped || !this.listener || !this.controller || !this.raft) return false;
    return this.controller.active || (this.raft.voters.length > 1 && this.raft.role === 'follower' && this.raft.highWatermark >= 0);
  }

  get port(): number {
    return this.listener?.boundPort ?? 0;
  }

  async start(): Promise<void> {
    const config = this.config;
    const nodeId = config.nodeId;
    const listenerCfg = config.controllerListener();
    if (!listenerCfg) {
      throw new Error(`no controller listener: controller.listener.names (${config.controllerListenerNames().join(',')}) names none of listeners`);
    }
    const voters = config.quorumVoters();
    if (!voters.some((v) => v.nodeId === nodeId)) {
      throw new Error(`controller.quorum.voters does not include this node (node.id ${nodeId})`);
    }

    const metaDir = config.metadataLogDir();
    const { clusterId, created } = ensureClusterId(metaDir, nodeId, config.getOptionalString('cluster.id'));
    this.clusterId = clusterId;
    if (created) this.logger.log(`formatted ${metaDir} with new cluster id ${clusterId}`);

    const partitionDir = path.join(metaDir, partitionDirName(METADATA_TOPIC, METADATA_PARTITION));
    this.log = await PartitionLog.open({
      dir: partitionDir,
      topic: METADATA_TOPIC,
      partition: METADATA_PARTITION,
      // The log's own retention stays off: SnapshotManager trims it, only behind snapshots.
      config: {
        segmentBytes: config.getInt('metadata.log.segment.bytes'),
        segmentMs: config.getLong('metadata.log.segment.ms'),
        retentionMs: -1,
        retentionBytes: -1,
        cleanupPolicy: 'delete',
      },
      logger: { info: (m: string) => this.logger.log(m), warn: (m: string) => this.logger.warn(m) },
    });

    const multiVoter = voters.length > 1;
    this.snapshots = await SnapshotManager.open(partitionDir, this.log, snapshotSettings(config), { multiVoter, registry: this.metrics.registry });
    this.raft = new RaftClient({
      nodeId,
      voters: voters.map((v) => v.nodeId),
      log: this.log,
      stateStore: new QuorumStateStore(partitionDir),
      clusterId,
      electionTimeoutMs: config.getInt('controller.quorum.election.timeout.ms'),
      fetchTimeoutMs: config.getInt('controller.quorum.fetch.timeout.ms'),
      snapshots: this.snapshots.store,
      transport: multiVoter
        ? new NetworkRaftTransport(
            voters.filter((v) => v.nodeId !== nodeId).map((v) => ({ nodeId: v.nodeId, host: v.host, port: v.port })),
            `raft-${nodeId}`,
          )
        : undefined,
    });
    this.metrics.attachRaft(this.raft);
    this.controller = new QuorumController(this.raft, clusterId, {
      onCommitLatency: (s) => this.metrics.commitLatency.observe(s),
      onActivated: () => this.brokers?.resetSessions(),
      onElections: (kind, n) => this.metrics.elections.inc({ type: kind }, n),
      onApplied: () => void this.snapshots?.maybeSnapshot().catch((e) => this.logger.error(`metadata snapshot failed: ${(e as Error).message}`)),
    });
    // Before start(): the image begins at the newest snapshot and the log after it is replayed on top.
    this.snapshots.attach(this.raft, this.controller.image);
    this.metrics.attach(this.controller, this.raft);
    this.brokers = new BrokerLifecycle(this.controller, config.getInt('broker.session.timeout.ms'), Date.now, config);
    this.rebalancer = new LeaderRebalancer(this.controller, config);
    if (multiVoter) {
      // The listener must be up before the election: the other voters' Vote and Fetch arrive there.
      await this.openListener(config, voters, listenerCfg, nodeId);
    }
    await this.controller.start();
    this.logger.log(
      `metadata log replayed to offset ${this.controller.image.offset}: ${this.controller.image.topics.size} topic(s), ` +
        `${this.controller.image.brokers.size} broker(s)`,
    );
    if (!multiVoter) await this.openListener(config, voters, listenerCfg, nodeId);
    this.brokers.start();
    this.rebalancer!.start();
    this.logger.log(
      `controller ${nodeId} ${this.controller.active ? 'active' : `started as ${this.raft.role}`} on ${listenerCfg.name}://${listenerCfg.host || '0.0.0.0'}:${this.port} ` +
        `(cluster ${clusterId}, raft epoch ${this.raft.epoch}, metadata offset ${this.controller.image.offset})`,
    );
  }

  private async openListener(
    config: KafkaConfig,
    voters: { nodeId: number; host: string; port: number }[],
    listenerCfg: { name: string; host: string; port: number },
    nodeId: number,
  ): Promise<void> {
    const clusterId = this.clusterId;
    const services: ControllerServices = {
      config,
      clusterId,
      controller: this.controller!,
      raft: this.raft!,
      brokers: this.brokers!,
      topicOps: { config, placementSeed: () => Math.floor(Math.random() * 1_000_000) },
      voterEndpoints: voters.map((v) => ({ nodeId: v.nodeId, host: v.host, port: v.port, listener: listenerCfg.name })),
      apiVersions: () => this.listener?.apiVersions() ?? [],
    };
    const listener = new KafkaListener(
      {
        host: listenerCfg.host,
        port: listenerCfg.port,
        maxRequestBytes: config.getInt('socket.request.max.bytes'),
        idleTimeoutMs: config.getLong('connections.max.idle.ms'),
      },
      controllerHandlers(services),
      { onRequest: (k, s, e) => this.metrics.onRequest(k, s, e), onConnection: (d) => this.metrics.onConnection(d) },
    );
    const port = await listener.listen();
    this.listener = listener;
    // With port 0 the voter entry for this node must carry the real port.
    for (const v of services.voterEndpoints) {
      if (v.nodeId !== nodeId) continue;
      if (v.port === 0) v.port = port;
      else if (v.port !== port) {
        this.logger.warn(
          `controller.quorum.voters says node ${nodeId} is at ${v.host}:${v.port}, but its ${listenerCfg.name} listener is on port ${port}: brokers will not reach it`,
        );
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A leader of several voters hands over first (EndQuorumEpoch), so the others elect at once.
    await this.raft?.resign().catch(() => undefined);
    await this.listener?.close().catch(() => undefined);
    this.brokers?.stop();
    this.rebalancer?.stop();
    await this.controller?.close().catch(() => undefined);
    await this.snapshots?.close().catch(() => undefined);
    await this.log?.close().catch((e) => this.logger.error(`closing the metadata log failed: ${(e as Error).message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
