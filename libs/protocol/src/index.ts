// Public API of @runnel/protocol: the Kafka wire format, pure (no I/O).
export * from './errors';
export * from './primitives';
export * from './codec';
export * from './frame';
export { ApiKey, API_SPECS } from './generated/api-keys';
export type { ApiSpec } from './generated/api-keys';
export { METADATA_RECORD_TYPES } from './generated/type-maps';
export type { MessageTypes, RequestTypes, ResponseTypes } from './generated/type-maps';
export type * from './generated/types-messages';
export type * from './generated/types-metadata-records';
export type * from './generated/types-internal-records';
export * from './crc32c';
export * from './records';
export * from './compression';
