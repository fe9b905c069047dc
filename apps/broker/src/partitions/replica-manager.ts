// Owns the broker's local partition replicas over @runnel/storage. It creates and deletes logs only as the
// metadata image says (topic created, partition assigned here, topic removed), and hands handlers the Partition
// objects they append to and read from.
import { EventEmitter } from 'node:events';
import type { LogManager, LogConfig } from '@runnel/storage';
import { ErrorCode } from '@runnel/protocol';
import type { MetadataCache, MetadataChange } from '../metadata/metadata-cache';
import type { Logger } from '../util/logger';
import { HighWatermarkCheckpoint } from './high-watermark-checkpoint';
import { IsrState, Partition, PartitionEnv } from './partition';

export type PartitionLookup = { partition: Partition; errorCode: 0 } | { partition: null; errorCode: number };

export interface ReplicaManagerOptions {
  readonly nodeId: number;
  readonly logManager: LogManager;
  readonly metadata: MetadataCache;
  readonly log: Logger;
  /** Storage settings for a topic, from its effective configuration. */
  readonly logConfigFor: (topic: string) => Partial<LogConfig>;
  /** The topic's effective min.insync.replicas. */
  readonly minInsyncReplicas?: (topic: string) => number;
  /** Sends an ISR change to the controller (AlterPartition). */
  readonly alterIsr?: (p: Partition, newIsr: number[]) => Promise<IsrState | null>;
  /** A local log was truncated or changed role: producer state cached for it is stale. */
  readonly onLogRewritten?: (p: Partition) => void;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  readonly highWatermarkCheckpointMs?: number;
  /** Told about the followed partitions after every applied metadata change (the replica fetchers). */
  readonly followers?: { update(partitions: Iterable<Partition>): void };
}

export class ReplicaManager {
  private readonly byKey = new Map<string, Partition>();
  private unsubscribe: (() => void) | null = null;
  /** Log creation/deletion runs one step at a time, in metadata order (a delete must finish before a re-create). */
  private chain: Promise<void> = Promise.resolve();
  /** Emits 'partition-added' / 'partition-removed' (metrics, fetch waiters). */
  readonly events = new EventEmitter();
  private readonly hwmCheckpoint: HighWatermarkCheckpoint;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.events.setMaxListeners(0);
    this.hwmCheckpoint = new HighWatermarkCheckpoint(opts.logManager.logDirs);
  }

  get logManager(): LogManager {
    return this.opts.logManager;
  }

  /** Follow the metadata image from now on and reconcile with what it says today. */
  async start(): Promise<void> {
    this.unsubscribe = this.opts.metadata.onChange((c) => {
      void this.enqueue(() => this.onChange(c))
        .catch((err) => this.opts.log.error('applying metadata change to local logs failed', err))
        .finally(() => this.opts.followers?.update(this.byKey.values()));
    });
    await this.enqueue(() => this.reconcile());
    this.opts.followers?.update(this.byKey.values());
    // Kafka checks the ISR at half the lag time so a stuck follower leaves it within 1.5x replica.lag.time.max.ms.
    const lag = this.lagTimeMs;
    const isrCheck = setInterval(() => this.checkIsr(), Math.max(50, Math.floor(lag / 2)));
    const checkpoint = setInterval(() => void this.checkpointHighWatermarks(), Math.max(100, this.opts.highWatermarkCheckpointMs ?? 5000));
    isrCheck.unref();
    checkpoint.unref();
    this.timers.push(isrCheck, checkpoint);
  }

  private get lagTimeMs(): number {
    return this.opts.replicaLagTimeMs ?? 30_000;
  }

  /** Leaders drop followers that stopped catching up. */
  checkIsr(): void {
    for (const p of this.byKey.values()) {
      if (!p.isLeader()) continue;
      p.expireStuckIsrChange(Math.max(this.lagTimeMs, 5000));
      p.maybeShrinkIsr(this.lagTimeMs);
    }
  }

  /** Writes every log dir's replication-offset-checkpoint. */
  checkpointHighWatermarks(): Promise<void> {
    return this.hwmCheckpoint.write(this.byKey.values()).catch((err) => this.opts.log.warn(`writing the high watermark checkpoint failed: ${(err as Error).message}`));
  }

  /** Under-replicated, under-min-ISR and leader counts plus the largest follower lag, for metrics. */
  replicationSummary(): { leaders: number; underReplicated: number; underMinIsr: number; maxFollowerLag: number } {
    let leaders = 0;
    let underReplicated = 0;
    let underMinIsr = 0;
    let maxFollowerLag = 0;
    for (const p of this.byKey.values()) {
      if (!p.isLeader()) continue;
      leaders++;
      if (p.underReplicated) underReplicated++;
      if (p.underMinIsr) underMinIsr++;
      maxFollowerLag = Math.max(maxFollowerLag, p.maxFollowerLag());
    }
    return { leaders, underReplicated, underMinIsr, maxFollowerLag };
  }

  /** Resolves once every metadata change seen so far has been applied to the local logs. */
  idle(): Promise<void> {
    return this.enqueue(async () => undefined);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Make local logs match the image: a log for every partition that lists this node as a replica, and no log for
   * a topic the image doesn't know (a "stray" log, e.g. a topic deleted while this broker was down).
   * Call only once the image has caught up with the controller.
   */
  async reconcile(): Promise<void> {
    const { metadata } = this.opts;
    for (const topic of metadata.topics()) {
      for (const p of topic.partitions) {
        if (p && p.replicas.includes(this.opts.nodeId)) await this.ensurePartition(topic.name, p.partition);
      }
    }
  }

  /**
   * Delete the stray logs (ones the image doesn't assign here), in the background queue: the broker need not wait
   * for them before serving, and a topic re-created under a stray's name is still applied after its deletion.
   */
  deleteStrayLogs(): Promise<void> {
    return this.enqueue(() => this.dropStrays());
  }

  private async dropStrays(): Promise<void> {
    const { metadata } = this.opts;
    for (const log of this.listLocalLogs()) {
      const t = metadata.topic(log.topic);
      const p = t?.partitions[log.partition];
      if (!t || !p || !p.replicas.includes(this.opts.nodeId)) {
        if (log.topic === '__cluster_metadata') continue;
        this.opts.log.info(`deleting stray log ${log.topic}-${log.partition} (not assigned to this broker in the metadata)`);
        await this.dropPartition(log.topic, log.partition);
      }
    }
  }

  /** Local replica, whatever its role. */
  get(topic: string, partition: number): Partition | undefined {
    return this.byKey.get(`${topic}-${partition}`);
  }

  /** Local replicas. */
  partitions(): IterableIterator<Partition> {
    return this.byKey.values();
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The partition if this broker leads it, else the Kafka error a client should see:
   * UNKNOWN_TOPIC_OR_PARTITION when the metadata has no such partition, NOT_LEADER_OR_FOLLOWER when another broker
   * leads it (or no leader / local log not ready yet), so clients refresh metadata and retry.
   */
  leaderFor(topic: string, partition: number): PartitionLookup {
    const meta = this.opts.metadata.partition(topic, partition);
    if (!meta) return { partition: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (meta.leader !== this.opts.nodeId) return { partition: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const p = this.byKey.get(`${topic}-${partition}`);
    if (!p || !p.isLeader()) return { partition: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    return { partition: p, errorCode: 0 };
  }

  /** Storage settings changed for a topic (AlterConfigs): push them to its logs. */
  updateTopicConfig(topic: string): void {
    const cfg = this.opts.logConfigFor(topic);
    for (const p of this.byKey.values()) {
      if (p.topic === topic) this.opts.logManager.updateConfig(topic, p.partition, cfg);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private async onChange(change: MetadataChange): Promise<void> {
    switch (change.type) {
      case 'partition-changed': {
        const p = change.partition;
        const local = p.replicas.includes(this.opts.nodeId);
        if (local) await this.ensurePartition(change.topic.name, p.partition);
        else if (this.byKey.has(`${change.topic.name}-${p.partition}`)) await this.dropPartition(change.topic.name, p.partition);
        break;
      }
      case 'topic-deleted':
        for (const p of [...this.byKey.values()]) {
          if (p.topic === change.topic.name && p.topicId === change.topic.topicId) await this.dropPartition(p.topic, p.partition);
        }
        break;
      case 'config-changed':
        if (change.resourceType === 2 && this.opts.metadata.topic(change.resourceName)) {
          this.updateTopicConfig(change.resourceName);
        } else if (change.resourceType === 4 && (change.resourceName === '' || change.resourceName === String(this.opts.nodeId))) {
          // A dynamic broker default (log.retention.ms, log.segment.bytes, ...) applies to every topic without an override.
          for (const topic of new Set([...this.byKey.values()].map((p) => p.topic))) this.updateTopicConfig(topic);
        }
        break;
      default:
        break;
    }
  }

  private async ensurePartition(topic: string, partition: number): Promise<Partition | undefined> {
    const key = `${topic}-${partition}`;
    const meta = this.opts.metadata.partition(topic, partition);
    const topicImage = this.opts.metadata.topic(topic);
    // Changes are applied in order but after the fact: the topic may be gone again by now.
    if (!meta || !topicImage || !meta.replicas.includes(this.opts.nodeId)) return undefined;
    let p = this.byKey.get(key);
    if (p && p.topicId !== topicImage.topicId) {
      // Same name, new topic: the old incarnation's log must not be reused.
      await this.dropPartition(topic, partition);
      p = undefined;
    }
    if (!p) {
      const lm = this.opts.logManager;
      let log = lm.getLog(topic, partition);
      if (log && log.topicId && log.topicId !== topicImage.topicId) {
        // A log left from an earlier topic of the same name (deleted while this broker was away).
        this.opts.log.info(`deleting stale log ${key} of topic id ${log.topicId} (the topic is now ${topicImage.topicId})`);
        await lm.deleteLog(topic, partition);
        log = undefined;
      }
      // A log recovered at startup was opened with defaults: give it the topic's settings now.
      if (log) lm.updateConfig(topic, partition, this.opts.logConfigFor(topic));
      else log = await lm.createLog(topic, partition, this.opts.logConfigFor(topic));
      if (!log.topicId) log.setTopicId(topicImage.topicId);
      p = new Partition(topic, partition, topicImage.topicId, log, this.partitionEnv(topic), this.hwmCheckpoint.get(log.dir, key));
      this.byKey.set(key, p);
      p.updateFromImage(meta, topicImage.topicId);
      this.events.emit('partition-added', p);
      this.opts.log.debug(`partition ${key} ready (leader ${meta.leader}, epoch ${meta.leaderEpoch})`);
    } else {
      const local = p;
      // After appends already queued on the partition, so none of them lands under the new role.
      await local.exclusive(() => local.updateFromImage(meta, topicImage.topicId));
      local.poke();
    }
    return p;
  }

  private partitionEnv(topic: string): PartitionEnv {
    const { opts } = this;
    return {
      nodeId: opts.nodeId,
      minInsyncReplicas: () => opts.minInsyncReplicas?.(topic) ?? 1,
      brokerUsable: (id) => {
        const b = opts.metadata.broker(id);
        return !!b && !b.fenced && !b.inControlledShutdown;
      },
      alterIsr: (p, isr) => opts.alterIsr?.(p, isr) ?? Promise.resolve(null),
      onLogRewritten: (p) => opts.onLogRewritten?.(p),
      now: Date.now,
    };
  }

  private async dropPartition(topic: string, partition: number): Promise<void> {
    const key = `${topic}-${partition}`;
    const p = this.byKey.get(key);
    this.byKey.delete(key);
    if (p) {
      p.close();
      this.events.emit('partition-removed', p);
    }
    await this.opts.logManager.deleteLog(topic, partition);
    this.opts.log.info(`deleted log ${key}`);
  }

  private listLocalLogs(): { topic: string; partition: number }[] {
    const logs = this.opts.logManager.logs();
    const out: { topic: string; partition: number }[] = [];
    for (const l of logs) out.push({ topic: l.topic, partition: l.partition });
    return out;
  }
}
