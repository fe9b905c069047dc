// Errors the log raises, each carrying the Kafka error code a broker should answer with.

export class StorageError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** OFFSET_OUT_OF_RANGE (1): read below the log start or beyond the log end. */
export class OffsetOutOfRangeError extends StorageError {
  constructor(
    message: string,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super(1, message);
  }
}

/** KAFKA_STORAGE_ERROR (56): an I/O error; the log refuses further appends until reopened. */
export class KafkaStorageError extends StorageError {
  constructor(message: string, override readonly cause?: unknown) {
    super(56, message);
  }
}

/** CORRUPT_MESSAGE (2): appended bytes are not well-formed v2 batches. */
export class CorruptRecordError extends StorageError {
  constructor(message: string) {
    super(2, message);
  }
}

/** INVALID_RECORD (87) for follower appends whose offsets go backwards. */
export class InvalidOffsetError extends StorageError {
  constructor(message: string) {
    super(87, message);
  }
}

/** RECORD_LIST_TOO_LARGE (18): a single append larger than a segment can hold. */
export class RecordListTooLargeError extends StorageError {
  constructor(message: string) {
    super(18, message);
  }
}

/** The log (or manager) was closed or deleted. */
export class LogClosedError extends StorageError {
  constructor(message: string) {
    super(56, message);
  }
}
