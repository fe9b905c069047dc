// The Kafka error codes the group coordinator returns. Kept local so the coordinator stays a pure,
// separately testable unit; the numbers are fixed by the protocol (same as ErrorCode in @runnel/protocol).
export const GroupErr = {
  NONE: 0,
  UNKNOWN_SERVER_ERROR: -1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_REQUEST: 42,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  UNSTABLE_OFFSET_COMMIT: 88,
} as const;

/** Error raised by the offsets-log writer; `code` is the Kafka error of the failed append. */
export class AppendError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How Kafka maps a failed __consumer_offsets append to what the committing client sees: replication or
 * placement trouble becomes COORDINATOR_NOT_AVAILABLE, lost leadership NOT_COORDINATOR, oversize
 * INVALID_COMMIT_OFFSET_SIZE, so clients re-discover the coordinator or surface a clear error.
 */
export function mapAppendError(code: number): number {
  switch (code) {
    case GroupErr.NONE:
      return GroupErr.NONE;
    case GroupErr.UNKNOWN_TOPIC_OR_PARTITION:
    case GroupErr.NOT_ENOUGH_REPLICAS:
    case GroupErr.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case GroupErr.REQUEST_TIMED_OUT:
      return GroupErr.COORDINATOR_NOT_AVAILABLE;
    case GroupErr.NOT_LEADER_OR_FOLLOWER:
      return GroupErr.NOT_COORDINATOR;
    case GroupErr.MESSAGE_TOO_LARGE:
    case GroupErr.RECORD_LIST_TOO_LARGE:
      return GroupErr.INVALID_COMMIT_OFFSET_SIZE;
    case GroupErr.COORDINATOR_NOT_AVAILABLE:
    case GroupErr.NOT_COORDINATOR:
    case GroupErr.COORDINATOR_LOAD_IN_PROGRESS:
      return code;
    default:
      return GroupErr.UNKNOWN_SERVER_ERROR;
  }
}
