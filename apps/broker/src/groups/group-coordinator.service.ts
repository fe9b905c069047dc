// Wires the pure GroupCoordinator into a running broker:
// - follows the metadata image: this broker coordinates the groups of every __consumer_offsets partition it
//   leads; gaining leadership loads that partition's records (COORDINATOR_LOAD_IN_PROGRESS meanwhile), losing it
//   unloads the groups;
// - writes commits and group metadata as record batches to those partitions, waiting until they are committed
//   (high watermark) so an acknowledged commit survives a leader change;
// - creates __consumer_offsets through the controller, like any topic, the first time a client looks for a
//   group coordinator;
// - exports runnel_broker_group_* metrics.
import { ApiKey, decodeRecordBatch, encodeRecordBatch, splitRecordBatches } from '@runnel/protocol';
import type { KafkaConfig } from '@runnel/config';
import type { BrokerServices } from '../services';
import type { Partition } from '../partitions/partition';
import type { Logger } from '../util/logger';
import { systemClock, type Clock } from './clock';
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  GroupCoordinator,
  type GroupCoordinatorConfig,
  type OffsetsLogRecord,
} from './group-coordinator';
import { AppendError, GroupErr } from './group-errors';
import { GroupMetrics } from './group-metrics';
import { partitionForKey } from './java-hash';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

const LOAD_READ_BYTES = 5 * 1024 * 1024;
const LOAD_RETRY_MS = 1_000;
const CREATE_RETRY_MS = 2_000;

/** A config value if the key is known and set, else `fallback` (keys another helper may not have defined yet). */
function cfgNumber(config: KafkaConfig, name: string, fallback: number): number {
  const e = config.entry(name);
  if (!e || e.value === null || e.value === undefined) return fallback;
  const n = typeof e.value === 'number' ? e.value : Number(e.text);
  return Number.isFinite(n) ? n : fallback;
}

function cfgBoolean(config: KafkaConfig, name: string, fallback: boolean): boolean {
  const e = config.entry(name);
  if (!e || e.value === null || e.value === undefined) return fallback;
  if (typeof e.value === 'boolean') return e.value;
  return String(e.text).trim().toLowerCase() === 'true';
}

export function groupCoordinatorConfig(config: KafkaConfig): GroupCoordinatorConfig {
  const d = DEFAULT_GROUP_COORDINATOR_CONFIG;
  return {
    offsetsTopicNumPartitions: cfgNumber(config, 'offsets.topic.num.partitions', d.offsetsTopicNumPartitions),
    groupMinSessionTimeoutMs: cfgNumber(config, 'group.min.session.timeout.ms', d.groupMinSessionTimeoutMs),
    groupMaxSessionTimeoutMs: cfgNumber(config, 'group.max.session.timeout.ms', d.groupMaxSessionTimeoutMs),
    groupInitialRebalanceDelayMs: cfgNumber(config, 'group.initial.rebalance.delay.ms', d.groupInitialRebalanceDelayMs),
    groupMaxSize: cfgNumber(config, 'group.max.size', d.groupMaxSize),
    offsetMetadataMaxBytes: cfgNumber(config, 'offset.metadata.max.bytes', d.offsetMetadataMaxBytes),
    offsetsRetentionMs: cfgNumber(config, 'offsets.retention.minutes', d.offsetsRetentionMs / 60_000) * 60_000,
    offsetsRetentionCheckIntervalMs: cfgNumber(config, 'offsets.retention.check.interval.ms', d.offsetsRetentionCheckIntervalMs),
    newMemberJoinTimeoutMs: d.newMemberJoinTimeoutMs,
  };
}

export interface CoordinatorLookup {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

export class GroupCoordinatorService {
  readonly coordinator: GroupCoordinator;
  readonly metrics: GroupMetrics | null;
  private readonly log: Logger;
  private readonly unsubscribers: Array<() => void> = [];
  private reconcileScheduled = false;
  /** Leader epoch at which each owned offsets partition was loaded (a new epoch means reload). */
  private readonly loadedEpochs = new Map<number, number>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly lastCreateAttempt = new Map<string, number>();
  private stopped = false;
  private readonly commitTimeoutMs: number;
  private readonly compression: number;

  constructor(
    private readonly services: BrokerServices,
    private readonly clock: Clock = systemClock,
  ) {
    this.log = services.log.child('groups');
    const config = groupCoordinatorConfig(services.config);
    this.commitTimeoutMs = cfgNumber(services.config, 'offsets.commit.timeout.ms', 5_000);
    this.compression = cfgNumber(services.config, 'offsets.topic.compression.codec', 0);
    const registry = (services.metrics as { registry?: unknown }).registry;
    this.metrics = registry
      ? new GroupMetrics(registry as any, this, {
          partitionLevel: cfgBoolean(services.config, 'metrics.group.partition.level', false),
        })
      : null;
    this.coordinator = new GroupCoordinator(config, clock, { append: (p, r, ts) => this.append(p, r, ts) }, {
      onRebalance: (groupId) => this.metrics?.rebalances.inc({ group: groupId }),
      onCommit: (_g, partitions, latencyMs, errorCode) => this.metrics?.observeCommit(partitions, latencyMs, errorCode),
      onOffsetsExpired: (n) => this.metrics?.offsetsExpired.inc(n),
      log: (level, msg) => this.log[level](msg),
    });
  }

  start(): void {
    this.unsubscribers.push(
      this.services.metadata.onChange((change) => {
        if (change.type === 'topic-deleted' && change.topic.name !== OFFSETS_TOPIC) {
          void this.coordinator.removeOffsetsOfTopic(change.topic.name).catch((err) => this.log.error('removing offsets of a deleted topic failed', err));
        }
        this.scheduleReconcile();
      }),
    );
    const onPartition = (): void => this.scheduleReconcile();
    const events = this.services.replicas.events;
    events.on('partition-added', onPartition);
    events.on('partition-removed', onPartition);
    this.unsubscribers.push(() => {
      events.off('partition-added', onPartition);
      events.off('partition-removed', onPartition);
    });
    this.reconcile();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribers.splice(0)) u();
    this.coordinator.shutdown();
    this.metrics?.unregister();
  }

  /** Partition of __consumer_offsets (or __transaction_state) a coordinator key maps to. */
  partitionFor(key: string, keyType: number): number {
    const existing = this.services.metadata.topic(keyType === 1 ? TRANSACTION_STATE_TOPIC : OFFSETS_TOPIC)?.partitions.length ?? 0;
    const n =
      existing > 0
        ? existing
        : keyType === 1
          ? cfgNumber(this.services.config, 'transaction.state.log.num.partitions', 50)
          : this.coordinator.config.offsetsTopicNumPartitions;
    return partitionForKey(key, n);
  }

  /**
   * FindCoordinator: the leader of the key's partition, reachable on the listener the client used. Creates the
   * internal topic on first use; until it has a leader the answer is COORDINATOR_NOT_AVAILABLE (clients retry).
   */
  async findCoordinator(key: string, keyType: number, listener: string): Promise<CoordinatorLookup> {
    const none = (errorCode: number): CoordinatorLookup => ({ errorCode, nodeId: -1, host: '', port: -1 });
    if (keyType !== 0 && keyType !== 1) return none(GroupErr.INVALID_REQUEST);
    const topic = keyType === 1 ? TRANSACTION_STATE_TOPIC : OFFSETS_TOPIC;
    const metadata = this.services.metadata;
    if (!metadata.topic(topic)) {
      await this.ensureInternalTopic(topic);
      if (!metadata.topic(topic)) return none(GroupErr.COORDINATOR_NOT_AVAILABLE);
    }
    const p = metadata.partition(topic, this.partitionFor(key, keyType));
    if (!p || p.leader < 0) return none(GroupErr.COORDINATOR_NOT_AVAILABLE);
    const broker = metadata.broker(p.leader);
    const ep = broker?.endpoints.find((e) => e.name === listener);
    if (!broker || broker.fenced || !ep) return none(GroupErr.COORDINATOR_NOT_AVAILABLE);
    return { errorCode: GroupErr.NONE, nodeId: broker.id, host: ep.host, port: ep.port };
  }

  /** Create __consumer_offsets / __transaction_state through the controller (once at a time, with a retry pause). */
  ensureInternalTopic(topic: string): Promise<void> {
    const running = this.creating.get(topic);
    if (running) return running;
    const last = this.lastCreateAttempt.get(topic) ?? 0;
    if (this.clock.now() - last < CREATE_RETRY_MS) return Promise.resolve();
    this.lastCreateAttempt.set(topic, this.clock.now());
    const job = this.createInternalTopic(topic).finally(() => this.creating.delete(topic));
    this.creating.set(topic, job);
    return job;
  }

  private async createInternalTopic(topic: string): Promise<void> {
    const cfg = this.services.config;
    const isOffsets = topic === OFFSETS_TOPIC;
    const numPartitions = isOffsets
      ? this.coordinator.config.offsetsTopicNumPartitions
      : cfgNumber(cfg, 'transaction.state.log.num.partitions', 50);
    const wantedRf = isOffsets
      ? cfgNumber(cfg, 'offsets.topic.replication.factor', 1)
      : cfgNumber(cfg, 'transaction.state.log.replication.factor', 1);
    // Kafka refuses to create the topic until enough brokers are up, and so do we: a group started while a
    // broker is down must not leave its offsets on fewer replicas for good. The factor is capped at the brokers
    // ever registered, so a cluster smaller than the setting (a single dev node) still gets its offsets topic.
    const registered = Math.max(1, this.services.metadata.brokers().length);
    const alive = this.services.metadata.aliveBrokers().length;
    const replicationFactor = Math.min(wantedRf, registered);
    if (alive < replicationFactor) {
      this.log.warn(
        `not creating ${topic} yet: it needs ${replicationFactor} brokers up (${isOffsets ? 'offsets.topic' : 'transaction.state.log'}.replication.factor=${wantedRf}, ` +
          `${registered} registered) and ${alive} are; coordinator lookups answer COORDINATOR_NOT_AVAILABLE until then`,
      );
      return;
    }
    const configs = isOffsets
      ? [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'compression.type', value: 'producer' },
          { name: 'segment.bytes', value: String(cfgNumber(cfg, 'offsets.topic.segment.bytes', 104857600)) },
        ]
      : [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'compression.type', value: 'uncompressed' },
          { name: 'min.insync.replicas', value: String(Math.min(cfgNumber(cfg, 'transaction.state.log.min.isr', 1), replicationFactor)) },
          { name: 'segment.bytes', value: String(cfgNumber(cfg, 'transaction.state.log.segment.bytes', 104857600)) },
        ];
    if (replicationFactor < wantedRf) {
      this.log.warn(`creating ${topic} with replication factor ${replicationFactor}, not ${wantedRf}: only ${registered} broker(s) are registered`);
    } else this.log.info(`creating ${topic} (${numPartitions} partitions, replication factor ${replicationFactor})`);
    try {
      const { response } = await this.services.controller.forwardAndWait<any>(
        ApiKey.CreateTopics,
        7,
        { topics: [{ name: topic, numPartitions, replicationFactor, assignments: [], configs }], timeoutMs: 10_000, validateOnly: false },
        (m, res) => {
          const t = res?.topics?.[0];
          if (t && t.errorCode !== 0 && t.errorCode !== 36) return true;
          const img = m.topic(topic);
          return !!img && img.partitions.length > 0 && img.partitions.every((p) => p !== undefined && p.leader >= 0);
        },
        10_000,
      );
      const t = response?.topics?.[0];
      if (t && t.errorCode !== 0 && t.errorCode !== 36) {
        this.log.warn(`creating ${topic} failed: error ${t.errorCode} ${t.errorMessage ?? ''}`);
      }
    } catch (err) {
      this.log.warn(`creating ${topic} through the controller failed: ${(err as Error).message}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Leadership of __consumer_offsets partitions

  private scheduleReconcile(): void {
    if (this.reconcileScheduled || this.stopped) return;
    this.reconcileScheduled = true;
    setImmediate(() => {
      this.reconcileScheduled = false;
      if (!this.stopped) this.reconcile();
    });
  }

  /** Load partitions we now lead and unload the ones we no longer lead. */
  reconcile(): void {
    const nodeId = this.services.nodeId;
    const topic = this.services.metadata.topic(OFFSETS_TOPIC);
    const actual = topic?.partitions.length ?? 0;
    if (actual > 0 && actual !== this.coordinator.config.offsetsTopicNumPartitions && topic!.partitions.every((p) => p !== undefined)) {
      this.log.warn(`${OFFSETS_TOPIC} has ${actual} partitions, not offsets.topic.num.partitions=${this.coordinator.config.offsetsTopicNumPartitions}; using ${actual}`);
      this.loadedEpochs.clear();
      this.coordinator.adoptOffsetsTopicPartitions(actual);
    }
    const owned = new Set(this.coordinator.ownedPartitions());
    const n = this.coordinator.config.offsetsTopicNumPartitions;
    const unloaded: number[] = [];
    for (let p = 0; p < n; p++) {
      const meta = topic?.partitions[p];
      const local = this.services.replicas.get(OFFSETS_TOPIC, p);
      const leads = !!meta && meta.leader === nodeId && !!local && local.isLeader();
      if (leads) {
        const epoch = meta!.leaderEpoch;
        if (!owned.has(p) || this.loadedEpochs.get(p) !== epoch) {
          this.loadedEpochs.set(p, epoch);
          void this.load(p, local!, epoch);
        }
      } else if (owned.has(p)) {
        this.loadedEpochs.delete(p);
        this.coordinator.unloadPartition(p);
        unloaded.push(p);
      }
    }
    if (unloaded.length > 0) {
      this.log.info(`no longer leader of ${OFFSETS_TOPIC} partition(s) ${unloaded.join(',')}: their groups moved to the new leaders`);
    }
  }

  private async load(p: number, partition: Partition, epoch: number): Promise<void> {
    const loader = this.coordinator.beginLoad(p);
    const started = this.clock.now();
    try {
      // To the log end, not the high watermark: a new leader's high watermark may lag for a moment, and commits the
      // previous leader acknowledged sit in between (Kafka's coordinator loads to the log end too).
      const end = partition.logEndOffset;
      let offset = partition.logStartOffset;
      let records = 0;
      while (offset < end) {
        const res = await (partition.log as any).read(offset, LOAD_READ_BYTES, { maxOffset: end, minOneBatch: true });
        let next = offset;
        try {
          for (const chunk of res.chunks as Buffer[]) {
            for (const view of splitRecordBatches(chunk)) {
              if (view.lastOffset < offset) continue;
              next = Math.max(next, view.lastOffset + 1);
              if (view.isControl) continue;
              for (const r of decodeRecordBatch(view).records) {
                if (r.offset < offset) continue;
                loader.apply(r.key, r.value);
                records++;
              }
            }
          }
        } finally {
          res.release?.();
        }
        if (next <= offset) break; // nothing more readable below the high watermark
        offset = next;
      }
      if (loader.complete(this.clock.now())) {
        const msg = `loaded ${OFFSETS_TOPIC}-${p} (${records} records) in ${this.clock.now() - started} ms`;
        // 50 partitions load at startup; only the ones with content are worth an info line.
        if (records > 0) this.log.info(msg);
        else this.log.debug(msg);
        if (loader.skippedRecords > 0) this.log.warn(`${OFFSETS_TOPIC}-${p}: skipped ${loader.skippedRecords} undecodable record(s)`);
      }
    } catch (err) {
      this.log.error(`loading ${OFFSETS_TOPIC}-${p} failed; retrying`, err);
      this.clock.schedule(LOAD_RETRY_MS, () => {
        if (this.stopped || this.loadedEpochs.get(p) !== epoch || !this.coordinator.isLoading(p)) return;
        const local = this.services.replicas.get(OFFSETS_TOPIC, p);
        if (local && local.isLeader()) void this.load(p, local, epoch);
      });
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Writing to __consumer_offsets

  private async append(p: number, records: OffsetsLogRecord[], timestamp: number): Promise<void> {
    const lookup = this.services.replicas.leaderFor(OFFSETS_TOPIC, p);
    if (!lookup.partition) throw new AppendError(lookup.errorCode, `not the leader of ${OFFSETS_TOPIC}-${p}`);
    const partition = lookup.partition;
    const batch = encodeRecordBatch({
      compression: this.compression,
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp })),
    });
    const maxMessageBytes = cfgNumber(this.services.config, 'message.max.bytes', 1048588);
    if (batch.length > maxMessageBytes) throw new AppendError(GroupErr.RECORD_LIST_TOO_LARGE, `batch of ${batch.length} bytes`);
    // exclusive(): appends to a partition happen one at a time, in order, like Produce's.
    const res = await partition.exclusive(() => partition.appendAsLeader(batch));
    await this.waitCommitted(partition, res.lastOffset + 1);
  }

  /** Like acks=all (offsets.commit.required.acks): answer only once the high watermark covers the append. */
  private async waitCommitted(partition: Partition, offset: number): Promise<void> {
    const outcome = await partition.waitForCommit(offset, this.commitTimeoutMs);
    if (outcome === 'committed') return;
    if (outcome === 'not-leader') throw new AppendError(GroupErr.NOT_LEADER_OR_FOLLOWER, 'lost leadership while waiting for replication');
    if (outcome === 'not-enough-replicas') throw new AppendError(GroupErr.NOT_ENOUGH_REPLICAS_AFTER_APPEND, 'the ISR fell below min.insync.replicas');
    throw new AppendError(GroupErr.REQUEST_TIMED_OUT, 'timed out waiting for replication of an offsets append');
  }

  /** High watermark of a local leader partition (for lag metrics), or null. */
  highWatermark(topic: string, partition: number): number | null {
    const p = this.services.replicas.get(topic, partition);
    return p && p.isLeader() ? p.highWatermark : null;
  }
}

// One coordinator service per broker, found through the broker's services object.
const SERVICES = new WeakMap<BrokerServices, GroupCoordinatorService>();

/** The broker's group coordinator service, created and started on first use. */
export function groupCoordinatorFor(services: BrokerServices): GroupCoordinatorService {
  let s = SERVICES.get(services);
  if (!s) {
    s = new GroupCoordinatorService(services);
    SERVICES.set(services, s);
    s.start();
  }
  return s;
}

/** Start the coordinator with the broker (bootstrap), so owned offsets partitions load before clients ask. */
export function startGroupCoordinator(services: BrokerServices): GroupCoordinatorService {
  return groupCoordinatorFor(services);
}

export function stopGroupCoordinator(services: BrokerServices): void {
  const s = SERVICES.get(services);
  if (s) {
    SERVICES.delete(services);
    s.stop();
  }
}
