// The example needs no kafkajs partitioner migration notice (it never relied on the old partitioner).
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

// Where the example finds Runnel: KAFKA_BROKERS (comma-separated), default the `npm start` listener.
export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
