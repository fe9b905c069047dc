// Kafka places group G on __consumer_offsets partition abs(G.hashCode()) % partitions, where hashCode is
// Java's String.hashCode (31-based over UTF-16 code units, wrapping at 32 bits) and abs is Kafka's
// Utils.abs, which maps Integer.MIN_VALUE to 0 (Math.abs would leave it negative). Matching this exactly lets
// tools that compute the coordinator partition themselves (and data moved from Kafka) agree with us.

export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    // Math.imul keeps the multiplication in 32-bit two's complement, like Java int arithmetic.
    h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  }
  return h;
}

/** Kafka's Utils.abs: |n|, except Integer.MIN_VALUE (which has no positive int) becomes 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForKey(key: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(key)) % numPartitions;
}
