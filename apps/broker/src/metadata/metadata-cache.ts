// The broker's read view of cluster metadata: libs/metadata's MetadataImage, fed only by replaying the
// controller's __cluster_metadata log (metadata/metadata-loader.ts), plus the lookups handlers need.
// No broker invents metadata: everything here comes from that log.
import { MetadataImage } from '@runnel/metadata';
import type { BrokerImage, MetadataChange, PartitionImage, TopicImage } from '@runnel/metadata';

export type { BrokerImage, MetadataChange, PartitionImage, TopicImage };

export class MetadataCache {
  constructor(readonly image: MetadataImage = new MetadataImage()) {}

  get clusterId(): string | null {
    return this.image.clusterId;
  }

  /** Offset of the last metadata record applied (-1 before any). */
  get offset(): number {
    return this.image.offset;
  }

  topic(name: string): TopicImage | undefined {
    return this.image.topics.get(name);
  }

  topicById(id: string): TopicImage | undefined {
    return this.image.topicsById.get(id);
  }

  topics(): IterableIterator<TopicImage> {
    return this.image.topics.values();
  }

  topicNames(): string[] {
    return [...this.image.topics.keys()];
  }

  partition(topic: string, partition: number): PartitionImage | undefined {
    return this.image.topics.get(topic)?.partitions[partition];
  }

  broker(id: number): BrokerImage | undefined {
    return this.image.brokers.get(id);
  }

  /** Every registered broker (fenced ones too), sorted by id. */
  brokers(): BrokerImage[] {
    return [...this.image.brokers.values()].sort((a, b) => a.id - b.id);
  }

  /** Registered, unfenced brokers, sorted by id. */
  aliveBrokers(): BrokerImage[] {
    return this.image.activeBrokers();
  }

  /** Topic-level dynamic overrides only (no defaults); see TopicConfigs for effective values. */
  topicConfigOverrides(topic: string): ReadonlyMap<string, string> {
    return this.image.topicConfigs.get(topic) ?? EMPTY;
  }

  /** Broker-level dynamic overrides; '' = the cluster-wide default resource. */
  brokerConfigOverrides(brokerId: number | ''): ReadonlyMap<string, string> {
    return this.image.brokerConfigs.get(String(brokerId)) ?? EMPTY;
  }

  /** Subscribe to every applied change; returns an unsubscribe function. */
  onChange(listener: (change: MetadataChange) => void): () => void {
    return this.image.onChange((change) => listener(change));
  }

  /**
   * Resolves true as soon as `predicate(this)` holds, false after timeoutMs. Re-checked after each applied record
   * and every few ms (predicates may also look at local state that follows the image asynchronously, e.g. logs).
   */
  waitUntil(predicate: (cache: MetadataCache) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this)) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        off();
        resolve(ok);
      };
      const poll = setInterval(() => {
        if (predicate(this)) finish(true);
      }, 10);
      const timer = setTimeout(() => finish(predicate(this)), timeoutMs);
      const off = this.image.onChange(() => {
        if (predicate(this)) finish(true);
      });
    });
  }

  /** Resolves true once the image has applied metadata up to `offset` (inclusive). */
  waitForOffset(offset: number, timeoutMs: number): Promise<boolean> {
    return this.waitUntil((c) => c.offset >= offset, timeoutMs);
  }
}

const EMPTY: ReadonlyMap<string, string> = new Map();
