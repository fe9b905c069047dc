import { javaStringHashCode, kafkaAbs, partitionForKey } from './java-hash';

describe('javaStringHashCode', () => {
  it('matches Java String.hashCode for known strings', () => {
    // Values computed by Java's "...".hashCode().
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHashCode('console-consumer-12345')).toBe(javaRef('console-consumer-12345'));
  });

  it('wraps at 32 bits', () => {
    const long = 'x'.repeat(1000);
    expect(Number.isInteger(javaStringHashCode(long))).toBe(true);
    expect(javaStringHashCode(long)).toBe(javaRef(long));
  });

  it('uses UTF-16 code units', () => {
    expect(javaStringHashCode('\u{1F600}')).toBe(javaRef('\u{1F600}'));
    expect(javaStringHashCode('é')).toBe(233);
  });
});

describe('partitionForKey', () => {
  it('maps Integer.MIN_VALUE hash to partition 0 (Kafka Utils.abs)', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(partitionForKey('polygenelubricants', 50)).toBe(0);
  });

  it('uses the absolute value of negative hashes', () => {
    expect(kafkaAbs(-7)).toBe(7);
    const key = 'my-group';
    const h = javaRef(key);
    expect(partitionForKey(key, 50)).toBe(Math.abs(h) % 50);
  });

  it('is always within range', () => {
    for (let i = 0; i < 500; i++) {
      const p = partitionForKey(`group-${i}`, 50);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(50);
    }
  });
});

// Independent reference implementation with BigInt, reducing modulo 2^32 and reinterpreting as signed.
function javaRef(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) & 0xffffffffn;
  return Number(BigInt.asIntN(32, h));
}
