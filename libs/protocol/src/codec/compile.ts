import { CORRUPT_MESSAGE, INVALID_REQUEST, KafkaProtocolError } from '../errors/kafka-protocol-error';
import { Reader } from '../primitives/reader';
import { ZERO_UUID } from '../primitives/uuid';
import { Writer } from '../primitives/writer';
import { FieldSchema, inRange, PrimitiveType } from './schema';

/**
 * Turns schema tables into codecs. One (struct fields, version, flexible) triple is compiled once into a flat list
 * of steps whose read/write closures are specialised for that version (compact or classic encoding, nullability,
 * tagged or not), and cached; decoding and encoding then just run the steps, with no schema walking per call.
 */

type Value = unknown;
type ReadFn = (r: Reader) => Value;
type WriteFn = (w: Writer, v: Value) => void;

export interface StructCodec {
  read(r: Reader): Record<string, Value>;
  write(w: Writer, v: Record<string, Value> | undefined | null): void;
  /** Smallest encoded size of one value; bounds array counts against the remaining bytes. */
  readonly minSize: number;
}

const EMPTY = Buffer.alloc(0);

// Steps are split by role so the hot loops stay tiny.
interface RegularStep {
  name: string;
  read: ReadFn;
  write: WriteFn;
  def: () => Value;
}

interface TaggedStep {
  name: string;
  tag: number;
  read: ReadFn;
  write: WriteFn;
  def: () => Value;
  isDefault: (v: Value) => boolean;
}

interface AbsentStep {
  name: string;
  def: () => Value;
}

// ---- defaults ----------------------------------------------------------------------------------------------------

/** Returns a factory of the field's default value (fresh objects/arrays every call). */
export function defaultFactory(f: FieldSchema): () => Value {
  const d = f.default;
  switch (f.type) {
    case 'bool': {
      const v = d === true;
      return () => v;
    }
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64': {
      const v = typeof d === 'number' ? d : 0;
      return () => v;
    }
    case 'int64': {
      const v = typeof d === 'string' ? BigInt(d) : typeof d === 'number' ? BigInt(d) : 0n;
      return () => v;
    }
    case 'string': {
      const v = d === null ? null : typeof d === 'string' ? d : '';
      return () => v;
    }
    case 'uuid':
      return () => ZERO_UUID;
    case 'bytes':
      return d === null ? () => null : () => EMPTY;
    case 'records':
      return () => null;
    case 'array':
      return d === null ? () => null : () => [];
    case 'struct': {
      if (d === null) return () => null;
      const fields = f.fields ?? [];
      return () => structDefaults(fields);
    }
  }
}

const defaultsCache = new WeakMap<readonly FieldSchema[], (() => Value)[]>();

/** A struct value with every field at its default (all versions). */
export function structDefaults(fields: readonly FieldSchema[]): Record<string, Value> {
  let facts = defaultsCache.get(fields);
  if (!facts) {
    facts = fields.map(defaultFactory);
    defaultsCache.set(fields, facts);
  }
  const o: Record<string, Value> = {};
  for (let i = 0; i < fields.length; i++) o[fields[i].name] = facts[i]();
  return o;
}

function isDefaultValue(f: FieldSchema, v: Value): boolean {
  if (v === undefined) return true;
  const d = defaultFactory(f)();
  if (v === null || d === null) return v === d;
  switch (f.type) {
    case 'array':
      return Array.isArray(v) && v.length === 0;
    case 'bytes':
    case 'records':
      return Buffer.isBuffer(v) && Buffer.isBuffer(d) && v.equals(d);
    case 'int64':
      return BigInt(v as bigint) === d;
    case 'struct': {
      const o = v as Record<string, Value>;
      return (f.fields ?? []).every((sf) => isDefaultValue(sf, o[sf.name]));
    }
    default:
      return v === d;
  }
}

// ---- primitives --------------------------------------------------------------------------------------------------

function nullError(f: FieldSchema, version: number): KafkaProtocolError {
  return new KafkaProtocolError(INVALID_REQUEST, `Field ${f.specName} is not nullable in version ${version}`);
}

function primitiveReader(type: PrimitiveType, compact: boolean, nullable: boolean): ReadFn {
  switch (type) {
    case 'bool':
      return (r) => r.bool();
    case 'int8':
      return (r) => r.int8();
    case 'int16':
      return (r) => r.int16();
    case 'uint16':
      return (r) => r.uint16();
    case 'int32':
      return (r) => r.int32();
    case 'uint32':
      return (r) => r.uint32();
    case 'int64':
      return (r) => r.int64();
    case 'float64':
      return (r) => r.float64();
    case 'uuid':
      return (r) => r.uuid();
    case 'string':
      if (compact) return nullable ? (r) => r.compactNullableString() : (r) => r.compactString();
      return nullable ? (r) => r.nullableString() : (r) => r.string();
    case 'bytes':
    case 'records':
      if (compact) return nullable ? (r) => r.compactNullableBytes() : (r) => r.compactBytes();
      return nullable ? (r) => r.nullableBytes() : (r) => r.bytes();
  }
}

function toBigInt(v: Value, f: FieldSchema): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new KafkaProtocolError(INVALID_REQUEST, `Field ${f.specName} needs an int64 (bigint), got ${typeof v}`);
}

/** Total length of Buffer | Buffer[] record data. */
function recordsLength(v: Buffer | Buffer[]): number {
  if (Buffer.isBuffer(v)) return v.length;
  let n = 0;
  for (const b of v) n += b.length;
  return n;
}

function writeRecords(w: Writer, v: Buffer | Buffer[]): void {
  if (Buffer.isBuffer(v)) w.raw(v);
  else for (const b of v) w.raw(b);
}

function primitiveWriter(f: FieldSchema, type: PrimitiveType, compact: boolean, nullable: boolean, version: number): WriteFn {
  const numberCheck = (v: Value): number => {
    if (typeof v !== 'number') {
      throw new KafkaProtocolError(INVALID_REQUEST, `Field ${f.specName} needs a number, got ${typeof v}`);
    }
    return v;
  };
  switch (type) {
    case 'bool':
      return (w, v) => w.bool(!!v);
    case 'int8':
      return (w, v) => w.int8(numberCheck(v));
    case 'int16':
      return (w, v) => w.int16(numberCheck(v));
    case 'uint16':
      return (w, v) => w.uint16(numberCheck(v));
    case 'int32':
      return (w, v) => w.int32(numberCheck(v));
    case 'uint32':
      return (w, v) => w.uint32(numberCheck(v));
    case 'int64':
      return (w, v) => w.int64(toBigInt(v, f));
    case 'float64':
      return (w, v) => w.float64(numberCheck(v));
    case 'uuid':
      return (w, v) => w.uuid(v as string);
    case 'string':
      return (w, v) => {
        if (v === null && !nullable) throw nullError(f, version);
        if (v !== null && typeof v !== 'string') {
          throw new KafkaProtocolError(INVALID_REQUEST, `Field ${f.specName} needs a string, got ${typeof v}`);
        }
        if (compact) w.compactNullableString(v as string | null);
        else w.nullableString(v as string | null);
      };
    case 'bytes':
    case 'records':
      return (w, v) => {
        if (v === null) {
          if (!nullable) throw nullError(f, version);
          if (compact) w.uvarint(0);
          else w.int32(-1);
          return;
        }
        const b = v as Buffer | Buffer[];
        const len = recordsLength(b);
        if (compact) w.uvarint(len + 1);
        else w.int32(len);
        writeRecords(w, b);
      };
  }
}

function primitiveMinSize(type: PrimitiveType, compact: boolean): number {
  switch (type) {
    case 'bool':
    case 'int8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    case 'string':
      return compact ? 1 : 2;
    case 'bytes':
    case 'records':
      return compact ? 1 : 4;
  }
}

// ---- fields ------------------------------------------------------------------------------------------------------

interface FieldCodec {
  read: ReadFn;
  write: WriteFn;
  minSize: number;
}

/** Codec for one field's value at a version (without tag framing). */
function fieldCodec(f: FieldSchema, version: number, flexible: boolean): FieldCodec {
  const compact = flexible && f.flexible !== false;
  const nullable = inRange(f.nullable, version);

  if (f.type === 'struct') {
    const sub = compileStruct(f.fields ?? [], version, flexible);
    if (nullable) {
      // nullable structs carry a presence byte: -1 = null, 1 = present
      return {
        read: (r) => (r.int8() < 0 ? null : sub.read(r)),
        write: (w, v) => {
          if (v === null) w.int8(-1);
          else {
            w.int8(1);
            sub.write(w, v as Record<string, Value>);
          }
        },
        minSize: 1,
      };
    }
    return {
      read: (r) => sub.read(r),
      write: (w, v) => {
        if (v === null) throw nullError(f, version);
        sub.write(w, v as Record<string, Value>);
      },
      minSize: sub.minSize,
    };
  }

  if (f.type === 'array') {
    let elemRead: ReadFn;
    let elemWrite: WriteFn;
    let elemMin: number;
    if (f.elem === 'struct') {
      const sub = compileStruct(f.fields ?? [], version, flexible);
      elemRead = (r) => sub.read(r);
      elemWrite = (w, v) => sub.write(w, v as Record<string, Value>);
      elemMin = sub.minSize;
    } else {
      const t = f.elem as PrimitiveType;
      elemRead = primitiveReader(t, compact, false);
      elemWrite = primitiveWriter(f, t, compact, false, version);
      elemMin = primitiveMinSize(t, compact);
    }
    const read: ReadFn = (r) => {
      const n = compact ? r.compactArrayLength(elemMin) : r.arrayLength(elemMin);
      if (n < 0) {
        if (nullable) return null;
        throw new KafkaProtocolError(CORRUPT_MESSAGE, `Null array for non-nullable field ${f.specName}`);
      }
      const out = new Array<Value>(n);
      for (let i = 0; i < n; i++) out[i] = elemRead(r);
      return out;
    };
    const write: WriteFn = (w, v) => {
      if (v === null) {
        if (!nullable) throw nullError(f, version);
        if (compact) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (!Array.isArray(v)) {
        throw new KafkaProtocolError(INVALID_REQUEST, `Field ${f.specName} needs an array, got ${typeof v}`);
      }
      if (compact) w.uvarint(v.length + 1);
      else w.int32(v.length);
      for (let i = 0; i < v.length; i++) elemWrite(w, v[i]);
    };
    return { read, write, minSize: compact ? 1 : 4 };
  }

  return {
    read: primitiveReader(f.type, compact, nullable),
    write: primitiveWriter(f, f.type, compact, nullable, version),
    minSize: primitiveMinSize(f.type, compact),
  };
}

// ---- structs -----------------------------------------------------------------------------------------------------

const cache = new WeakMap<readonly FieldSchema[], Map<number, StructCodec>>();

/** Compiled codec for a list of fields at one version; cached per (fields, version, flexible). */
export function compileStruct(fields: readonly FieldSchema[], version: number, flexible: boolean): StructCodec {
  let byVersion = cache.get(fields);
  if (!byVersion) {
    byVersion = new Map();
    cache.set(fields, byVersion);
  }
  const key = flexible ? version + 0x10000 : version;
  let codec = byVersion.get(key);
  if (!codec) {
    codec = buildStruct(fields, version, flexible);
    byVersion.set(key, codec);
  }
  return codec;
}

function buildStruct(fields: readonly FieldSchema[], version: number, flexible: boolean): StructCodec {
  // All fields in schema order: `kinds[i]` says whether field i is read inline (0), from the tag buffer (1) or
  // absent in this version (2). Decoded objects always get every field, in schema order, so they share a shape.
  const names: string[] = [];
  const kinds: number[] = [];
  const defs: (() => Value)[] = [];
  const regular: RegularStep[] = [];
  const tagged: TaggedStep[] = [];
  const absent: AbsentStep[] = [];
  let minSize = flexible ? 1 : 0;

  for (const f of fields) {
    const def = defaultFactory(f);
    names.push(f.name);
    defs.push(def);
    const present = inRange(f.versions, version);
    const isTagged = present && f.tag !== undefined && inRange(f.taggedVersions, version);
    if (!present || (isTagged && !flexible)) {
      kinds.push(2);
      absent.push({ name: f.name, def });
      continue;
    }
    const fc = fieldCodec(f, version, flexible);
    if (isTagged) {
      kinds.push(1);
      tagged.push({ name: f.name, tag: f.tag as number, read: fc.read, write: fc.write, def, isDefault: (v) => isDefaultValue(f, v) });
    } else {
      kinds.push(0);
      regular.push({ name: f.name, read: fc.read, write: fc.write, def });
      minSize += fc.minSize;
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const tagIndex = new Map<number, TaggedStep>(tagged.map((t) => [t.tag, t]));
  const n = names.length;

  const readFns: (ReadFn | null)[] = [];
  {
    let ri = 0;
    for (let i = 0; i < n; i++) readFns.push(kinds[i] === 0 ? regular[ri++].read : null);
  }

  const read = (r: Reader): Record<string, Value> => {
    const o: Record<string, Value> = {};
    for (let i = 0; i < n; i++) {
      const fn = readFns[i];
      o[names[i]] = fn !== null ? fn(r) : defs[i]();
    }
    if (flexible) readTagBuffer(r, o, tagIndex);
    return o;
  };

  const write = (w: Writer, v: Record<string, Value> | undefined | null): void => {
    const o = v ?? {};
    for (let i = 0; i < regular.length; i++) {
      const s = regular[i];
      let x = o[s.name];
      if (x === undefined) x = s.def();
      s.write(w, x);
    }
    if (flexible) writeTagBuffer(w, o, tagged);
  };

  return { read, write, minSize };
}

function readTagBuffer(r: Reader, o: Record<string, Value>, tags: Map<number, TaggedStep>): void {
  const count = r.uvarint();
  if (count === 0) return;
  r.checkCount(count, 2);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    r.need(size);
    const step = tags.get(tag);
    if (step) {
      // Read inside a window of exactly `size` bytes so a lying size can't make the value run past its slot.
      const sub = new Reader(r.buf, r.offset, r.offset + size);
      o[step.name] = step.read(sub);
    }
    r.offset += size;
  }
}

function writeTagBuffer(w: Writer, o: Record<string, Value>, tagged: readonly TaggedStep[]): void {
  if (tagged.length === 0) {
    w.uvarint(0);
    return;
  }
  const present: TaggedStep[] = [];
  for (const t of tagged) if (!t.isDefault(o[t.name])) present.push(t);
  w.uvarint(present.length);
  for (const t of present) {
    const sub = new Writer(64);
    t.write(sub, o[t.name]);
    w.uvarint(t.tag);
    w.uvarint(sub.length);
    w.append(sub);
  }
}
