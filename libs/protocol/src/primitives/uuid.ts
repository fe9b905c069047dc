import { randomBytes } from 'node:crypto';
import { INVALID_REQUEST, KafkaProtocolError } from '../errors/kafka-protocol-error';

/** Kafka prints UUIDs as 22 chars of unpadded base64url; the all-zero UUID is Kafka's "no id". */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidToString(buf: Buffer, offset = 0): string {
  return buf.toString('base64url', offset, offset + 16);
}

const UUID_RE = /^[A-Za-z0-9_-]{22}$/;

/** Writes a 22-char base64url UUID into `buf` at `offset`. Throws on anything else. */
export function writeUuid(buf: Buffer, offset: number, s: string): void {
  if (!UUID_RE.test(s)) {
    throw new KafkaProtocolError(INVALID_REQUEST, `Invalid UUID '${s}': expected 22 base64url characters`);
  }
  // Node's base64url decoding of 22 chars yields exactly 16 bytes (the last char carries 2 significant bits).
  const n = buf.write(s, offset, 16, 'base64url');
  if (n !== 16) throw new KafkaProtocolError(INVALID_REQUEST, `Invalid UUID '${s}'`);
}

export function uuidToBytes(s: string): Buffer {
  const b = Buffer.alloc(16);
  writeUuid(b, 0, s);
  return b;
}

/** Random (v4) UUID in Kafka's string form; Kafka avoids ids whose base64 starts with '-'. */
export function randomUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const s = uuidToString(b);
    if (s !== ZERO_UUID && !s.startsWith('-')) return s;
  }
}
