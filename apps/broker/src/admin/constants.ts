// Kafka's numeric enums for the admin APIs (values fixed by the protocol, see ConfigResource.Type,
// DescribeConfigsResponse.ConfigSource/ConfigType and AlterConfigOp.OpType in Kafka's clients).

import { ConfigSourceCode } from '@runnel/config';

/** ConfigResource.Type ids as they travel on the wire. */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

/** DescribeConfigs ConfigSource (v1+; also used by synonyms and CreateTopics v5+): one table, kept in @runnel/config. */
export const ConfigSource = ConfigSourceCode;
export type ConfigSourceId = (typeof ConfigSource)[keyof typeof ConfigSource];

/** DescribeConfigs ConfigType (v3+). */
export const ConfigTypeId = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

/** IncrementalAlterConfigs operation ids. */
export const AlterConfigOp = {
  SET: 0,
  DELETE: 1,
  APPEND: 2,
  SUBTRACT: 3,
} as const;

/** "Authorized operations not requested" sentinel (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/**
 * The Kafka error codes these handlers produce. Kept local so the admin helpers stay pure and testable on
 * their own; the values are the protocol's (ErrorCode in @runnel/protocol has the same numbers).
 */
export const Err = {
  NONE: 0,
  UNKNOWN_SERVER_ERROR: -1,
  OFFSET_OUT_OF_RANGE: 1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  INVALID_TOPIC_EXCEPTION: 17,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  KAFKA_STORAGE_ERROR: 56,
  TOPIC_DELETION_DISABLED: 73,
  LOG_DIR_NOT_FOUND: 57,
  UNKNOWN_TOPIC_ID: 100,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
} as const;

export function resourceTypeName(t: number): string {
  switch (t) {
    case ResourceType.TOPIC:
      return 'TOPIC';
    case ResourceType.BROKER:
      return 'BROKER';
    case ResourceType.BROKER_LOGGER:
      return 'BROKER_LOGGER';
    case ResourceType.CLIENT_METRICS:
      return 'CLIENT_METRICS';
    case ResourceType.GROUP:
      return 'GROUP';
    default:
      return `UNKNOWN(${t})`;
  }
}
