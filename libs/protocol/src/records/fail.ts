// One place that builds the library's typed errors for records and compression.
import { ErrorCode, KafkaProtocolError } from '../errors';

/** Kafka error codes used here, with literal fallbacks so a missing table entry can't yield `undefined`. */
export const CORRUPT_MESSAGE: number = (ErrorCode as Record<string, number>).CORRUPT_MESSAGE ?? 2;
export const UNSUPPORTED_FOR_MESSAGE_FORMAT: number =
  (ErrorCode as Record<string, number>).UNSUPPORTED_FOR_MESSAGE_FORMAT ?? 43;
export const INVALID_RECORD: number = (ErrorCode as Record<string, number>).INVALID_RECORD ?? 87;
export const INVALID_TIMESTAMP: number = (ErrorCode as Record<string, number>).INVALID_TIMESTAMP ?? 32;
export const UNSUPPORTED_COMPRESSION_TYPE: number =
  (ErrorCode as Record<string, number>).UNSUPPORTED_COMPRESSION_TYPE ?? 76;

export function protocolError(code: number, message: string): KafkaProtocolError {
  return new KafkaProtocolError(code, message);
}

export function corrupt(message: string): never {
  throw new KafkaProtocolError(CORRUPT_MESSAGE, message);
}
