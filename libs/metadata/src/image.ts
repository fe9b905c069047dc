import {
  BrokerEndpointData,
  ConfigResourceType,
  MetadataRecord,
  PartitionChangeRecordData,
  PartitionRecordData,
} from './records';

/** One partition as the metadata log describes it. Replaced (never mutated) on every change. */
export interface PartitionImage {
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  /** -1 when there is no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly leaderRecoveryState: number;
  readonly eligibleLeaderReplicas: readonly number[] | null;
  readonly lastKnownElr: readonly number[] | null;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  /** Indexed by partition id (dense once the topic's PartitionRecords are replayed). */
  readonly partitions: PartitionImage[];
}

export interface BrokerEndpoint { name: string; host: string; port: number; securityProtocol: number }

export interface BrokerImage {
  readonly id: number;
  /** Broker epoch: the metadata offset of its RegisterBrokerRecord. */
  readonly epoch: number;
  readonly incarnationId: string;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly features: readonly { name: string; minSupportedVersion: number; maxSupportedVersion: number }[];
}

export type MetadataChange =
  | { type: 'topic-created'; topic: TopicImage; offset: number }
  | { type: 'topic-deleted'; topic: TopicImage; offset: number }
  | { type: 'partition-changed'; topic: TopicImage; partition: PartitionImage; previous: PartitionImage | null; offset: number }
  | { type: 'broker-changed'; broker: BrokerImage; previous: BrokerImage | null; offset: number }
  | { type: 'broker-unregistered'; broker: BrokerImage; offset: number }
  | { type: 'config-changed'; resourceType: number; resourceName: string; name: string; value: string | null; offset: number }
  | { type: 'feature-changed'; name: string; level: number; offset: number };

export type MetadataListener = (change: MetadataChange, image: MetadataImage) => void;

/** Thrown (only when `strict`) for a record that contradicts the image, e.g. a partition of an unknown topic. */
export class MetadataReplayError extends Error {}

interface Waiter {
  predicate: (image: MetadataImage) => boolean;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout | null;
}

const toNumber = (v: bigint | number | undefined | null, dflt = -1): number =>
  v === undefined || v === null ? dflt : typeof v === 'bigint' ? Number(v) : v;

/**
 * The cluster metadata as of `offset`, built by replaying KRaft metadata records in log order.
 * The controller keeps one as its committed state; each broker keeps one as its metadata cache.
 * The image is mutable (apply changes it in place) but each partition/broker entry is a fresh
 * object per change, so listeners may keep references to the previous values.
 */
export class MetadataImage {
  clusterId: string | null = null;
  /** Offset of the last applied metadata record (-1 before any). */
  offset = -1;
  /** Leader epoch of the batch that held the last applied record (-1 before any). */
  epoch = -1;
  readonly topics = new Map<string, TopicImage>();
  readonly topicsById = new Map<string, TopicImage>();
  readonly brokers = new Map<number, BrokerImage>();
  /** Config overrides: topic name -> (key -> value). */
  readonly topicConfigs = new Map<string, Map<string, string>>();
  /** Broker config overrides: broker id as a string, or '' for the cluster-wide default -> (key -> value). */
  readonly brokerConfigs = new Map<string, Map<string, string>>();
  /** Finalized feature levels, e.g. 'metadata.version'. */
  readonly features = new Map<string, number>();
  /** Next producer id block start (ProducerIdsRecord), -1 when none was allocated yet. */
  nextProducerId = -1;

  private readonly listeners = new Set<MetadataListener>();
  private waiters: Waiter[] = [];

  constructor(private readonly opts: { strict?: boolean } = {}) {}

  /** Subscribe to changes; returns an unsubscribe function. Listener exceptions are swallowed. */
  onChange(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves true as soon as `predicate(image)` holds (checked now and after each applied record),
   * or false after `timeoutMs`. Brokers use it to answer an admin request only once the
   * controller's change is visible locally.
   */
  waitFor(predicate: (image: MetadataImage) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = { predicate, resolve, timer: null };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves once the image has applied `offset` (true) or after the timeout (false). */
  waitForOffset(offset: number, timeoutMs: number): Promise<boolean> {
    return this.waitFor((img) => img.offset >= offset, timeoutMs);
  }

  /**
   * Forget everything applied (offset back to -1) so the log can be replayed from the start, e.g.
   * after the controller reports a diverging epoch. Keeps clusterId, listeners and waiters.
   */
  reset(): void {
    this.offset = -1;
    this.epoch = -1;
    this.topics.clear();
    this.topicsById.clear();
    this.brokers.clear();
    this.topicConfigs.clear();
    this.brokerConfigs.clear();
    this.features.clear();
    this.nextProducerId = -1;
  }

  /**
   * Records that rebuild this image from nothing (features, brokers, topics with their partitions and
   * configs, broker configs, producer ids): the content of a metadata snapshot. Replaying them into an
   * empty image gives an image equal to this one, except that partition epochs are taken as they are.
   */
  toRecords(): MetadataRecord[] {
    const out: MetadataRecord[] = [];
    for (const [name, level] of this.features) out.push({ name: 'FeatureLevelRecord', version: 0, data: { name, featureLevel: level } });
    for (const b of [...this.brokers.values()].sort((x, y) => x.id - y.id)) {
      out.push({
        name: 'RegisterBrokerRecord',
        version: 1,
        data: {
          brokerId: b.id,
          incarnationId: b.incarnationId,
          brokerEpoch: BigInt(b.epoch),
          endPoints: b.endpoints.map((e) => ({ ...e })),
          features: b.features.map((f) => ({ ...f })),
          rack: b.rack,
          fenced: b.fenced,
          inControlledShutdown: b.inControlledShutdown,
        },
      });
    }
    for (const t of this.topics.values()) {
      out.push({ name: 'TopicRecord', version: 0, data: { name: t.name, topicId: t.topicId } });
      for (const p of t.partitions) {
        if (!p) continue;
        out.push({
          name: 'PartitionRecord',
          version: p.eligibleLeaderReplicas || p.lastKnownElr ? 2 : 0,
          data: {
            partitionId: p.partition,
            topicId: t.topicId,
            replicas: [...p.replicas],
            isr: [...p.isr],
            removingReplicas: [...p.removingReplicas],
            addingReplicas: [...p.addingReplicas],
            leader: p.leader,
            leaderRecoveryState: p.leaderRecoveryState,
            leaderEpoch: p.leaderEpoch,
            partitionEpoch: p.partitionEpoch,
            eligibleLeaderReplicas: p.eligibleLeaderReplicas ? [...p.eligibleLeaderReplicas] : null,
            lastKnownElr: p.lastKnownElr ? [...p.lastKnownElr] : null,
          },
        });
      }
      for (const [name, value] of this.topicConfigs.get(t.name) ?? []) {
        out.push({ name: 'ConfigRecord', version: 0, data: { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value } });
      }
    }
    for (const [resourceName, entries] of this.brokerConfigs) {
      for (const [name, value] of entries) {
        out.push({ name: 'ConfigRecord', version: 0, data: { resourceType: ConfigResourceType.BROKER, resourceName, name, value } });
      }
    }
    if (this.nextProducerId >= 0) {
      out.push({ name: 'ProducerIdsRecord', version: 0, data: { brokerId: -1, brokerEpoch: -1n, nextProducerId: BigInt(this.nextProducerId) } });
    }
    return out;
  }

  topic(name: string): TopicImage | undefined {
    return this.topics.get(name);
  }

  topicById(id: string): TopicImage | undefined {
    return this.topicsById.get(id);
  }

  partition(topic: string, partition: number): PartitionImage | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Effective override value for a topic config key, or undefined (caller falls back to broker defaults). */
  topicConfig(topic: string, key: string): string | undefined {
    return this.topicConfigs.get(topic)?.get(key);
  }

  /** Brokers that are registered and not fenced, sorted by id. */
  activeBrokers(): BrokerImage[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id);
  }

  partitionCount(): number {
    let n = 0;
    for (const t of this.topics.values()) n += t.partitions.length;
    return n;
  }

  /** Partitions with no leader or whose leader is fenced/unregistered. */
  offlinePartitionCount(): number {
    let n = 0;
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        if (!p) continue;
        const leader = p.leader >= 0 ? this.brokers.get(p.leader) : undefined;
        if (!leader || leader.fenced) n++;
      }
    }
    return n;
  }

  /** Records offset/epoch progress without a record (e.g. control batches or skipped records). */
  advanceTo(offset: number, epoch?: number): void {
    if (offset > this.offset) this.offset = offset;
    if (epoch !== undefined && epoch > this.epoch) this.epoch = epoch;
    this.checkWaiters();
  }

  /**
   * Apply one metadata record. `offset` is its position in the metadata log; when omitted the
   * image's offset is advanced by one. Unknown record types are ignored (forward compatibility).
   */
  apply(record: MetadataRecord, offset?: number, epoch?: number): void {
    const at = offset ?? this.offset + 1;
    const d = record.data ?? {};
    switch (record.name) {
      case 'TopicRecord':
        this.applyTopic(d.name, d.topicId, at);
        break;
      case 'PartitionRecord':
        this.applyPartition(d as PartitionRecordData, at);
        break;
      case 'PartitionChangeRecord':
        this.applyPartitionChange(d as PartitionChangeRecordData, at);
        break;
      case 'RemoveTopicRecord':
        this.applyRemoveTopic(d.topicId, at);
        break;
      case 'ConfigRecord':
        this.applyConfig(d.resourceType, d.resourceName, d.name, d.value ?? null, at);
        break;
      case 'RegisterBrokerRecord':
        this.applyRegisterBroker(d, at);
        break;
      case 'UnregisterBrokerRecord':
        this.applyUnregisterBroker(d.brokerId, toNumber(d.brokerEpoch), at);
        break;
      case 'FenceBrokerRecord':
        this.applyBrokerState(d.id, toNumber(d.epoch), true, undefined, at);
        break;
      case 'UnfenceBrokerRecord':
        this.applyBrokerState(d.id, toNumber(d.epoch), false, undefined, at);
        break;
      case 'BrokerRegistrationChangeRecord': {
        const fenced = d.fenced === 1 ? true : d.fenced === -1 ? false : undefined;
        const ics = d.inControlledShutdown === 1 ? true : undefined;
        this.applyBrokerState(d.brokerId, toNumber(d.brokerEpoch), fenced, ics, at);
        break;
      }
      case 'FeatureLevelRecord':
        if (d.featureLevel === 0) this.features.delete(d.name);
        else this.features.set(d.name, d.featureLevel);
        this.emit({ type: 'feature-changed', name: d.name, level: d.featureLevel, offset: at });
        break;
      case 'ProducerIdsRecord':
        this.nextProducerId = toNumber(d.nextProducerId);
        break;
      default:
        // NoOpRecord, RegisterControllerRecord, ACL/quota/SCRAM records, ...: not imaged yet.
        break;
    }
    this.advanceTo(at, epoch);
  }

  private fail(msg: string): void {
    if (this.opts.strict) throw new MetadataReplayError(msg);
  }

  private applyTopic(name: string, topicId: string, offset: number): void {
    if (this.topics.has(name) || this.topicsById.has(topicId)) {
      return this.fail(`TopicRecord for existing topic ${name} (${topicId})`);
    }
    const topic: TopicImage = { name, topicId, partitions: [] };
    this.topics.set(name, topic);
    this.topicsById.set(topicId, topic);
    this.emit({ type: 'topic-created', topic, offset });
  }

  private applyPartition(d: PartitionRecordData, offset: number): void {
    const topic = this.topicsById.get(d.topicId);
    if (!topic) return this.fail(`PartitionRecord for unknown topic id ${d.topicId}`);
    if (!(d.partitionId >= 0)) return this.fail(`PartitionRecord with invalid partition ${d.partitionId}`);
    const previous = topic.partitions[d.partitionId] ?? null;
    const p: PartitionImage = {
      topicId: topic.topicId,
      topicName: topic.name,
      partition: d.partitionId,
      replicas: [...(d.replicas ?? [])],
      isr: [...(d.isr ?? [])],
      removingReplicas: [...(d.removingReplicas ?? [])],
      addingReplicas: [...(d.addingReplicas ?? [])],
      leader: d.leader ?? -1,
      leaderEpoch: d.leaderEpoch ?? 0,
      partitionEpoch: d.partitionEpoch ?? 0,
      leaderRecoveryState: d.leaderRecoveryState ?? 0,
      eligibleLeaderReplicas: d.eligibleLeaderReplicas ? [...d.eligibleLeaderReplicas] : null,
      lastKnownElr: d.lastKnownElr ? [...d.lastKnownElr] : null,
    };
    topic.partitions[d.partitionId] = p;
    this.emit({ type: 'partition-changed', topic, partition: p, previous, offset });
  }

  private applyPartitionChange(d: PartitionChangeRecordData, offset: number): void {
    const topic = this.topicsById.get(d.topicId);
    const prev = topic?.partitions[d.partitionId];
    if (!topic || !prev) return this.fail(`PartitionChangeRecord for unknown partition ${d.topicId}-${d.partitionId}`);
    const leader = d.leader === undefined ? -2 : d.leader;
    // Kafka's replay rule: any leader field other than -2 bumps the leader epoch (even the same
    // leader: that is how the controller forces a bump); every change bumps the partition epoch.
    const p: PartitionImage = {
      ...prev,
      replicas: d.replicas ? [...d.replicas] : prev.replicas,
      isr: d.isr ? [...d.isr] : prev.isr,
      removingReplicas: d.removingReplicas ? [...d.removingReplicas] : prev.removingReplicas,
      addingReplicas: d.addingReplicas ? [...d.addingReplicas] : prev.addingReplicas,
      leader: leader === -2 ? prev.leader : leader,
      leaderEpoch: leader === -2 ? prev.leaderEpoch : prev.leaderEpoch + 1,
      partitionEpoch: prev.partitionEpoch + 1,
      leaderRecoveryState:
        d.leaderRecoveryState === undefined || d.leaderRecoveryState === -1 ? prev.leaderRecoveryState : d.leaderRecoveryState,
      eligibleLeaderReplicas: d.eligibleLeaderReplicas ? [...d.eligibleLeaderReplicas] : prev.eligibleLeaderReplicas,
      lastKnownElr: d.lastKnownElr ? [...d.lastKnownElr] : prev.lastKnownElr,
    };
    topic.partitions[d.partitionId] = p;
    this.emit({ type: 'partition-changed', topic, partition: p, previous: prev, offset });
  }

  private applyRemoveTopic(topicId: string, offset: number): void {
    const topic = this.topicsById.get(topicId);
    if (!topic) return this.fail(`RemoveTopicRecord for unknown topic id ${topicId}`);
    this.topicsById.delete(topicId);
    this.topics.delete(topic.name);
    // A topic's config overrides go with it (Kafka deletes them in the same operation).
    this.topicConfigs.delete(topic.name);
    this.emit({ type: 'topic-deleted', topic, offset });
  }

  private applyConfig(resourceType: number, resourceName: string, name: string, value: string | null, offset: number): void {
    let store: Map<string, Map<string, string>>;
    if (resourceType === ConfigResourceType.TOPIC) store = this.topicConfigs;
    else if (resourceType === ConfigResourceType.BROKER) store = this.brokerConfigs;
    else return; // BROKER_LOGGER etc. are not persisted in the image
    let entries = store.get(resourceName);
    if (value === null) {
      entries?.delete(name);
      if (entries && entries.size === 0) store.delete(resourceName);
    } else {
      if (!entries) store.set(resourceName, (entries = new Map()));
      entries.set(name, value);
    }
    this.emit({ type: 'config-changed', resourceType, resourceName, name, value, offset });
  }

  private applyRegisterBroker(d: any, offset: number): void {
    const previous = this.brokers.get(d.brokerId) ?? null;
    const broker: BrokerImage = {
      id: d.brokerId,
      epoch: toNumber(d.brokerEpoch),
      incarnationId: d.incarnationId,
      endpoints: (d.endPoints ?? []).map((e: BrokerEndpointData) => ({
        name: e.name,
        host: e.host,
        port: e.port,
        securityProtocol: e.securityProtocol,
      })),
      rack: d.rack ?? null,
      fenced: d.fenced ?? true,
      inControlledShutdown: d.inControlledShutdown ?? false,
      features: (d.features ?? []).map((f: any) => ({ ...f })),
    };
    this.brokers.set(broker.id, broker);
    this.emit({ type: 'broker-changed', broker, previous, offset });
  }

  private applyUnregisterBroker(id: number, epoch: number, offset: number): void {
    const broker = this.brokers.get(id);
    if (!broker) return this.fail(`UnregisterBrokerRecord for unknown broker ${id}`);
    if (epoch >= 0 && broker.epoch !== epoch) return this.fail(`UnregisterBrokerRecord epoch mismatch for broker ${id}`);
    this.brokers.delete(id);
    this.emit({ type: 'broker-unregistered', broker, offset });
  }

  private applyBrokerState(id: number, epoch: number, fenced: boolean | undefined, ics: boolean | undefined, offset: number): void {
    const previous = this.brokers.get(id);
    if (!previous) return this.fail(`broker state record for unknown broker ${id}`);
    if (epoch >= 0 && previous.epoch !== epoch) return this.fail(`broker state record epoch mismatch for broker ${id}`);
    const broker: BrokerImage = {
      ...previous,
      fenced: fenced ?? previous.fenced,
      // Unfencing ends a controlled shutdown (a re-registration starts fresh anyway).
      inControlledShutdown: ics ?? (fenced === false ? false : previous.inControlledShutdown),
    };
    this.brokers.set(id, broker);
    this.emit({ type: 'broker-changed', broker, previous, offset });
  }

  private emit(change: MetadataChange): void {
    for (const l of this.listeners) {
      try {
        l(change, this);
      } catch {
        // A faulty listener must not corrupt replay.
      }
    }
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      let ok = false;
      try {
        ok = w.predicate(this);
      } catch {
        ok = false;
      }
      if (ok) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }
}
