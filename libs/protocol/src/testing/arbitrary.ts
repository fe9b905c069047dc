import { defaultFactory } from '../codec/compile';
import { FieldSchema, inRange, MessageSchema, PrimitiveType } from '../codec/schema';

/**
 * Seeded value generators for round-trip tests. A generated value holds every field of the schema; fields the
 * version doesn't carry get their spec default, so `decode(encode(v))` must equal `v` exactly.
 */

export type ArbitraryMode =
  /** random values, short arrays, tagged fields set */
  | 'typical'
  /** null wherever the version allows it */
  | 'nulls'
  /** empty arrays/strings/bytes, tagged fields at their defaults */
  | 'empty'
  /** the first top-level array is large (1000 primitives or 100 structs) */
  | 'large';

/** Small deterministic PRNG (mulberry32). */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(): boolean {
    return this.next() < 0.5;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }
}

const STRING_POOL = ['', 'a', 'topic-1', 'consumer-group', 'ünïcødé-✓', 'x'.repeat(300), '__consumer_offsets', 'rdkafka'];

export function arbitraryPrimitive(type: PrimitiveType, rng: Rng, mode: ArbitraryMode): unknown {
  switch (type) {
    case 'bool':
      return rng.bool();
    case 'int8':
      return rng.int(-128, 127);
    case 'int16':
      return rng.int(-32768, 32767);
    case 'uint16':
      return rng.int(0, 65535);
    case 'int32':
      return rng.pick([0, -1, 1, 2147483647, -2147483648, rng.int(-2147483648, 2147483647)]);
    case 'uint32':
      return rng.pick([0, 1, 4294967295, rng.int(0, 4294967295)]);
    case 'int64':
      return rng.pick([0n, -1n, 9223372036854775807n, -9223372036854775808n, BigInt(rng.int(-2147483648, 2147483647)) * 4294967296n + BigInt(rng.int(0, 4294967295))]);
    case 'float64':
      return rng.pick([0, -1.5, 3.141592653589793, 1e300, rng.next()]);
    case 'uuid':
      return rng.bytes(16).toString('base64url');
    case 'string':
      return mode === 'empty' ? '' : rng.pick(STRING_POOL);
    case 'bytes':
      return mode === 'empty' ? Buffer.alloc(0) : rng.bytes(rng.int(0, 40));
    case 'records':
      return mode === 'empty' ? Buffer.alloc(0) : rng.bytes(rng.int(1, 200));
  }
}

let firstArray: FieldSchema | undefined;
function isFirstArray(f: FieldSchema): boolean {
  return f === firstArray;
}

function arbitraryField(f: FieldSchema, version: number, flexible: boolean, rng: Rng, mode: ArbitraryMode, depth: number): unknown {
  const present = inRange(f.versions, version);
  const tagged = f.tag !== undefined && inRange(f.taggedVersions, version);
  if (!present || (tagged && !flexible)) return defaultFactory(f)();
  if (tagged && mode === 'empty') return defaultFactory(f)();
  if (mode === 'nulls' && inRange(f.nullable, version)) return null;
  if (f.type === 'struct') return arbitraryStruct(f.fields ?? [], version, flexible, rng, mode, depth + 1);
  if (f.type === 'array') {
    let n: number;
    if (mode === 'empty') n = 0;
    else if (mode === 'large' && depth === 0 && isFirstArray(f)) n = f.elem === 'struct' ? 100 : 1000;
    else n = rng.int(0, depth > 2 ? 1 : 3);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        f.elem === 'struct'
          ? arbitraryStruct(f.fields ?? [], version, flexible, rng, mode, depth + 1)
          : arbitraryPrimitive(f.elem as PrimitiveType, rng, mode),
      );
    }
    return out;
  }
  return arbitraryPrimitive(f.type, rng, mode);
}

export function arbitraryStruct(
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
  rng: Rng,
  mode: ArbitraryMode,
  depth = 0,
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.name] = arbitraryField(f, version, flexible, rng, mode, depth);
  return o;
}

export function arbitraryMessage(schema: MessageSchema, version: number, rng: Rng, mode: ArbitraryMode): Record<string, unknown> {
  const flexible = inRange(schema.flexibleVersions, version);
  firstArray = schema.fields.find((f) => f.type === 'array' && inRange(f.versions, version) && !(f.tag !== undefined && inRange(f.taggedVersions, version)));
  return arbitraryStruct(schema.fields, version, flexible, rng, mode);
}
