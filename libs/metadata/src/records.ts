// The subset of KRaft metadata record shapes the image replays. Field names follow the
// protocol codec's convention (spec names in lowerCamelCase); only the fields we read are listed,
// so decoded records from @runnel/protocol (which carry every field) fit these types.

export interface TopicRecordData { name: string; topicId: string }
export interface RemoveTopicRecordData { topicId: string }

export interface PartitionRecordData {
  partitionId: number;
  topicId: string;
  replicas: number[];
  isr: number[];
  removingReplicas?: number[];
  addingReplicas?: number[];
  leader: number;
  leaderRecoveryState?: number;
  leaderEpoch: number;
  partitionEpoch: number;
  eligibleLeaderReplicas?: number[] | null;
  lastKnownElr?: number[] | null;
}

export interface PartitionChangeRecordData {
  partitionId: number;
  topicId: string;
  isr?: number[] | null;
  /** -1 no leader, -2 unchanged (the default), else the new leader. */
  leader?: number;
  replicas?: number[] | null;
  removingReplicas?: number[] | null;
  addingReplicas?: number[] | null;
  leaderRecoveryState?: number;
  eligibleLeaderReplicas?: number[] | null;
  lastKnownElr?: number[] | null;
}

export interface ConfigRecordData {
  resourceType: number;
  resourceName: string;
  name: string;
  value: string | null;
}

export interface BrokerEndpointData { name: string; host: string; port: number; securityProtocol: number }

export interface RegisterBrokerRecordData {
  brokerId: number;
  incarnationId: string;
  brokerEpoch: bigint | number;
  endPoints: BrokerEndpointData[];
  features?: { name: string; minSupportedVersion: number; maxSupportedVersion: number }[];
  rack: string | null;
  fenced?: boolean;
  inControlledShutdown?: boolean;
}

export interface UnregisterBrokerRecordData { brokerId: number; brokerEpoch: bigint | number }
export interface FenceBrokerRecordData { id: number; epoch: bigint | number }
export interface BrokerRegistrationChangeRecordData {
  brokerId: number;
  brokerEpoch: bigint | number;
  /** -1 unfenced, 0 no change, 1 fenced. */
  fenced?: number;
  /** 0 no change, 1 in controlled shutdown. */
  inControlledShutdown?: number;
}
export interface FeatureLevelRecordData { name: string; featureLevel: number }
export interface ProducerIdsRecordData { brokerId: number; brokerEpoch: bigint | number; nextProducerId: bigint | number }

/** A decoded metadata record: `name` is the spec name (e.g. 'TopicRecord'). */
export interface MetadataRecord {
  name: string;
  version?: number;
  data: any;
}

/** Kafka's ConfigResource types as they appear in ConfigRecord.ResourceType and admin APIs. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const;
