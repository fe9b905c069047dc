/**
 * The one error type the protocol library throws for bad input. `code` is a Kafka error code so a broker can put it
 * straight into a response (CORRUPT_MESSAGE for truncated/garbled frames, INVALID_REQUEST for structurally wrong ones,
 * UNSUPPORTED_VERSION for versions outside a spec's range).
 */
export class KafkaProtocolError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'KafkaProtocolError';
    this.code = code;
  }
}

// Codes used inside the library itself; kept as literals so this file has no dependency on the generated table.
export const CORRUPT_MESSAGE = 2;
export const INVALID_REQUEST = 42;
export const UNSUPPORTED_VERSION = 35;
