// Everything handlers may use, gathered in one object that bootstrap.ts builds once per broker.
import type { KafkaConfig } from '@runnel/config';
import type { ControllerChannel } from './controller/controller-channel';
import type { MetadataCache } from './metadata/metadata-cache';
import type { BrokerMetrics } from './metrics/broker.metrics';
import type { ReplicaManager } from './partitions/replica-manager';
import type { FetchWaiter } from './partitions/fetch-waiter';
import type { ProducerStateManager } from './producers/producer-state';
import type { ProducerIdManager } from './producers/producer-id-manager';
import type { TopicConfigs } from './metadata/topic-configs';
import type { Logger } from './util/logger';

export interface AdvertisedListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

export interface BrokerServices {
  readonly nodeId: number;
  readonly config: KafkaConfig;
  /** Broker epoch from BrokerRegistration (-1 until registered). */
  readonly brokerEpoch: () => number;
  readonly listeners: readonly AdvertisedListener[];
  readonly metadata: MetadataCache;
  /** Effective topic configuration (topic overrides > broker dynamic defaults > static broker config > Kafka default). */
  readonly topicConfigs: TopicConfigs;
  readonly controller: ControllerChannel;
  readonly replicas: ReplicaManager;
  readonly fetchWaiter: FetchWaiter;
  readonly producers: ProducerStateManager;
  readonly producerIds: ProducerIdManager;
  readonly metrics: BrokerMetrics;
  readonly log: Logger;
  /** The ApiVersions table (derived from the registered handlers). */
  readonly apiVersions: () => readonly { apiKey: number; minVersion: number; maxVersion: number }[];
}
