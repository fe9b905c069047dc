import { KafkaProtocolError } from '../errors/kafka-protocol-error';
import { Reader } from './reader';
import { readTaggedFields, writeTaggedFields } from './tagged-fields';
import { randomUuid, uuidToBytes, uuidToString, ZERO_UUID } from './uuid';
import { sizeOfUvarint, Writer } from './writer';

const hex = (b: Buffer) => b.toString('hex');
const reader = (h: string) => new Reader(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

describe('varints', () => {
  test.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [0xffffffff, 'ffffffff0f'],
  ])('uvarint %d <-> %s', (v, h) => {
    const w = new Writer().uvarint(v);
    expect(hex(w.toBuffer())).toBe(h);
    expect(reader(h).uvarint()).toBe(v);
    expect(sizeOfUvarint(v)).toBe(h.length / 2);
  });

  test.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [63, '7e'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('zigzag varint %d <-> %s', (v, h) => {
    expect(hex(new Writer().varint(v).toBuffer())).toBe(h);
    expect(reader(h).varint()).toBe(v);
  });

  test.each([
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [9223372036854775807n, 'feffffffffffffffff01'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
    [1700000000000n, '80a0abfef962'],
  ])('zigzag varlong %s <-> %s', (v, h) => {
    expect(hex(new Writer().varlong(v).toBuffer())).toBe(h);
    expect(reader(h).varlong()).toBe(v);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
      expect(reader(h).varlongNumber()).toBe(Number(v));
      expect(hex(new Writer().varlong(Number(v)).toBuffer())).toBe(h);
    }
  });

  test('overlong and truncated varints are CORRUPT_MESSAGE', () => {
    expect(code(() => reader('ffffffffff01').uvarint())).toBe(2);
    expect(code(() => reader('ffffffff1f').uvarint())).toBe(2);
    expect(code(() => reader('80').uvarint())).toBe(2);
    expect(code(() => reader('ffffffffffffffffff7f').uvarlong())).toBe(2);
    expect(code(() => reader('ffffffffffffffffffff01').uvarlong())).toBe(2);
  });
});

describe('fixed-width integers', () => {
  test('big-endian round trip', () => {
    const w = new Writer(2)
      .int8(-2)
      .int16(-300)
      .uint16(65000)
      .int32(-5)
      .uint32(4000000000)
      .int64(-2n)
      .float64(1.5)
      .bool(true);
    const r = new Reader(w.toBuffer());
    expect([r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.float64(), r.bool()]).toEqual([
      -2, -300, 65000, -5, 4000000000, -2n, 1.5, true,
    ]);
    expect(r.remaining).toBe(0);
    expect(code(() => r.int8())).toBe(2);
  });
});

describe('strings and bytes', () => {
  test('classic and compact, nullable', () => {
    const w = new Writer()
      .string('héllo')
      .nullableString(null)
      .compactString('ab')
      .compactNullableString(null)
      .bytes(Buffer.from([1, 2]))
      .nullableBytes(null)
      .compactBytes(Buffer.from([3]))
      .compactNullableBytes(null);
    const b = w.toBuffer();
    expect(hex(b)).toBe('000668c3a96c6c6f' + 'ffff' + '036162' + '00' + '000000020102' + 'ffffffff' + '0203' + '00');
    const r = new Reader(b);
    expect(r.string()).toBe('héllo');
    expect(r.nullableString()).toBeNull();
    expect(r.compactString()).toBe('ab');
    expect(r.compactNullableString()).toBeNull();
    expect([...r.bytes()]).toEqual([1, 2]);
    expect(r.nullableBytes()).toBeNull();
    expect([...r.compactBytes()]).toEqual([3]);
    expect(r.compactNullableBytes()).toBeNull();
  });

  test('lengths are checked against the remaining bytes before allocating', () => {
    expect(code(() => reader('7fff41').string())).toBe(2);
    expect(code(() => reader('7fffffff00').bytes())).toBe(2);
    expect(code(() => reader('ffffffff0f').compactBytes())).toBe(2);
    expect(code(() => reader('fffe').nullableString())).toBe(2);
    expect(code(() => reader('ffff').string())).toBe(42);
    expect(code(() => reader('00').compactString())).toBe(42);
  });

  test('bytes are zero-copy slices', () => {
    const buf = Buffer.from('0000000341424344', 'hex');
    const b = new Reader(buf).bytes();
    buf[4] = 0x5a;
    expect(b.toString()).toBe('ZBC');
  });
});

describe('arrays', () => {
  test('counts are bounded by remaining bytes times element size', () => {
    expect(code(() => reader('00000010 0000').arrayLength(4))).toBe(2);
    expect(reader('00000001 00000000').arrayLength(4)).toBe(1);
    expect(reader('ffffffff').arrayLength()).toBe(-1);
    expect(code(() => reader('fffffffe').arrayLength())).toBe(2);
    expect(reader('00').compactArrayLength()).toBe(-1);
    expect(reader('01').compactArrayLength()).toBe(0);
    expect(code(() => reader('ffffffff0f').compactArrayLength())).toBe(2);
  });
});

describe('uuid', () => {
  test('base64url string form', () => {
    expect(uuidToString(Buffer.alloc(16))).toBe(ZERO_UUID);
    const id = randomUuid();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(uuidToString(uuidToBytes(id))).toBe(id);
    const w = new Writer().uuid(id);
    expect(new Reader(w.toBuffer()).uuid()).toBe(id);
    expect(code(() => new Writer().uuid('not-a-uuid'))).toBe(42);
  });
});

describe('tagged fields', () => {
  test('raw tag buffer round trip, sorted', () => {
    const w = new Writer();
    writeTaggedFields(w, [
      { tag: 5, data: Buffer.from('bb', 'hex') },
      { tag: 0, data: Buffer.from('aa', 'hex') },
    ]);
    const b = w.toBuffer();
    expect(hex(b)).toBe('02' + '0001aa' + '0501bb');
    expect(readTaggedFields(new Reader(b)).map((f) => [f.tag, hex(f.data)])).toEqual([
      [0, 'aa'],
      [5, 'bb'],
    ]);
    expect(code(() => readTaggedFields(reader('02 0501bb 0001aa')))).toBe(2);
    expect(code(() => readTaggedFields(reader('01 0005aa')))).toBe(2);
  });
});

describe('Writer', () => {
  test('raw() keeps big buffers by reference and patches size prefixes', () => {
    const big = Buffer.alloc(4096, 7);
    const w = new Writer(8);
    w.int32(0).int16(1).raw(big).int8(9);
    w.patchInt32(0, w.length - 4);
    const chunks = w.toChunks();
    expect(chunks.some((c) => c === big)).toBe(true);
    const all = w.toBuffer();
    expect(all.length).toBe(4 + 2 + 4096 + 1);
    expect(all.readInt32BE(0)).toBe(all.length - 4);
    expect(all[all.length - 1]).toBe(9);
  });

  test('grows without losing data', () => {
    const w = new Writer(1);
    for (let i = 0; i < 10000; i++) w.int32(i);
    const r = new Reader(w.toBuffer());
    for (let i = 0; i < 10000; i++) expect(r.int32()).toBe(i);
  });
});
