export { KafkaProtocolError } from './kafka-protocol-error';
export { ErrorCode, errorInfo, ERROR_TABLE } from '../generated/error-codes';
export type { ErrorInfo, ErrorName } from '../generated/error-codes';
