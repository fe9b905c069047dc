import { randomBytes } from 'node:crypto';

/** A random Kafka Uuid in its base64url text form, never the zero or sentinel ids and never starting with '-'. */
export function randomKafkaUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    const s = b.toString('base64url');
    // Kafka reserves ids 0 and 1 (ZERO_UUID, METADATA_TOPIC_ID) and avoids a leading '-' (CLI parsing).
    if (s.startsWith('-') || b.subarray(0, 15).every((x) => x === 0)) continue;
    return s;
  }
}
