import { CORRUPT_MESSAGE, INVALID_REQUEST, KafkaProtocolError } from '../errors/kafka-protocol-error';
import { Reader } from '../primitives/reader';
import { ZERO_UUID } from '../primitives/uuid';
import { Writer } from '../primitives/writer';
import { FieldSchema, inRange, PrimitiveType } from './schema';

/**
 * Turns schema tables into codecs. One (struct fields, version, flexible) triple is compiled once, on first use, into
 * per-field steps specialised for that version (compact or classic encoding, nullability, inline or tagged or absent)
 * and then into a generated straight-line read/write pair; the result is cached, so no call walks the schema.
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
  writeMethod?: string;
}

interface TaggedStep {
  name: string;
  tag: number;
  read: ReadFn;
  write: WriteFn;
  def: () => Value;
  isDefault: (v: Value) => boolean;
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
      return (w, v) => w.int16(v as number); // Writer.int16 rejects non-int16 values itself
    case 'uint16':
      return (w, v) => w.uint16(numberCheck(v));
    case 'int32':
      return (w, v) => w.int32(v as number); // Writer.int32 rejects non-int32 values itself
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
  /** Reader method to call directly from generated code (primitives only), e.g. 'int32' or 'compactNullableString'. */
  readMethod?: string;
  /** Writer method to call directly from generated code, for types whose Writer method validates its input. */
  writeMethod?: string;
}

function readMethodName(type: PrimitiveType, compact: boolean, nullable: boolean): string {
  switch (type) {
    case 'string':
      return compact ? (nullable ? 'compactNullableString' : 'compactString') : nullable ? 'nullableString' : 'string';
    case 'bytes':
    case 'records':
      return compact ? (nullable ? 'compactNullableBytes' : 'compactBytes') : nullable ? 'nullableBytes' : 'bytes';
    default:
      return type;
  }
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
    let structWrite: StructCodec['write'] | null = null;
    if (f.elem === 'struct') {
      const sub = compileStruct(f.fields ?? [], version, flexible);
      elemRead = sub.read;
      elemWrite = sub.write as WriteFn;
      structWrite = sub.write;
      elemMin = sub.minSize;
    } else {
      const t = f.elem as PrimitiveType;
      elemRead = primitiveReader(t, compact, false);
      elemWrite = primitiveWriter(f, t, compact, false, version);
      elemMin = primitiveMinSize(t, compact);
    }
    const isInt32 = f.elem === 'int32';
    const read: ReadFn = (r) => {
      const n = compact ? r.compactArrayLength(elemMin) : r.arrayLength(elemMin);
      if (n < 0) {
        if (nullable) return null;
        throw new KafkaProtocolError(CORRUPT_MESSAGE, `Null array for non-nullable field ${f.specName}`);
      }
      // push keeps the array packed (new Array(n) would make it holey)
      const out: Value[] = [];
      if (isInt32) for (let i = 0; i < n; i++) out.push(r.int32());
      else for (let i = 0; i < n; i++) out.push(elemRead(r));
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
      const n = v.length;
      if (compact) w.uvarint(n + 1);
      else w.int32(n);
      // specialised loops for the common element types avoid a closure call per element
      if (structWrite !== null) for (let i = 0; i < n; i++) structWrite(w, v[i] as Record<string, Value>);
      else if (f.elem === 'int32') for (let i = 0; i < n; i++) w.int32(v[i] as number);
      else for (let i = 0; i < n; i++) elemWrite(w, v[i]);
    };
    return { read, write, minSize: compact ? 1 : 4 };
  }

  return {
    read: primitiveReader(f.type, compact, nullable),
    write: primitiveWriter(f, f.type, compact, nullable, version),
    minSize: primitiveMinSize(f.type, compact),
    readMethod: readMethodName(f.type, compact, nullable),
    writeMethod: f.type === 'int16' || f.type === 'int32' ? f.type : undefined,
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

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Default as a JS literal when it is an immutable primitive (so generated code can inline it), else null. */
function defaultLiteral(d: Value): string | null {
  if (d === null) return 'null';
  switch (typeof d) {
    case 'number':
    case 'boolean':
      return String(d);
    case 'bigint':
      return `${d}n`;
    case 'string':
      return JSON.stringify(d);
    default:
      return null;
  }
}

function buildStruct(fields: readonly FieldSchema[], version: number, flexible: boolean): StructCodec {
  // Every field, in schema order, is read inline (kind 0), from the tag buffer (1) or absent in this version (2).
  // Decoded objects always get every field in schema order, so all values of a struct share one shape.
  const names: string[] = [];
  const kinds: number[] = [];
  const defs: (() => Value)[] = [];
  const reads: (ReadFn | null)[] = [];
  const readMethods: (string | undefined)[] = [];
  const regular: RegularStep[] = [];
  const tagged: TaggedStep[] = [];
  let minSize = flexible ? 1 : 0;

  for (const f of fields) {
    const def = defaultFactory(f);
    names.push(f.name);
    defs.push(def);
    const present = inRange(f.versions, version);
    const isTagged = present && f.tag !== undefined && inRange(f.taggedVersions, version);
    if (!present || (isTagged && !flexible)) {
      kinds.push(2);
      reads.push(null);
      readMethods.push(undefined);
      continue;
    }
    const fc = fieldCodec(f, version, flexible);
    if (isTagged) {
      kinds.push(1);
      reads.push(null);
      readMethods.push(undefined);
      tagged.push({ name: f.name, tag: f.tag as number, read: fc.read, write: fc.write, def, isDefault: (v) => isDefaultValue(f, v) });
    } else {
      kinds.push(0);
      reads.push(fc.read);
      readMethods.push(fc.readMethod);
      regular.push({ name: f.name, read: fc.read, write: fc.write, def, writeMethod: fc.writeMethod });
      minSize += fc.minSize;
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const tagIndex = new Map<number, TaggedStep>(tagged.map((t) => [t.tag, t]));

  if (names.every((n) => IDENT.test(n) && n !== '__proto__')) {
    return { ...generateStruct(names, kinds, defs, reads, readMethods, regular, tagged, tagIndex, flexible), minSize };
  }
  return { ...interpretStruct(names, kinds, defs, reads, regular, tagged, tagIndex, flexible), minSize };
}

/**
 * Generates straight-line read/write functions for one struct version: an object literal with the fields in schema
 * order (one hidden class per struct version, named property access, primitive reads called directly), which is
 * several times faster than looping over steps with computed keys. Field names come from the generated schema tables
 * and are checked to be identifiers before they are embedded.
 */
function generateStruct(
  names: string[],
  kinds: number[],
  defs: (() => Value)[],
  reads: (ReadFn | null)[],
  readMethods: (string | undefined)[],
  regular: RegularStep[],
  tagged: TaggedStep[],
  tagIndex: Map<number, TaggedStep>,
  flexible: boolean,
): Pick<StructCodec, 'read' | 'write'> {
  // Closures become constants of the generated factory so calls are direct, not loads from arrays.
  const props: string[] = [];
  const consts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    let expr: string;
    if (kinds[i] === 0) {
      if (readMethods[i]) expr = `r.${readMethods[i]}()`;
      else {
        consts.push(`R${i} = R[${i}]`);
        expr = `R${i}(r)`;
      }
    } else {
      const lit = defaultLiteral(defs[i]());
      if (lit !== null) expr = lit;
      else {
        consts.push(`D${i} = D[${i}]`);
        expr = `D${i}()`;
      }
    }
    props.push(`${names[i]}: ${expr}`);
  }
  const readSrc = [
    consts.length ? `const ${consts.join(', ')};` : '',
    'return function read(r) {',
    `  const o = { ${props.join(', ')} };`,
    flexible ? '  readTags(r, o, T);' : '',
    '  return o;',
    '};',
  ].join('\n');
  const read = new Function('R', 'D', 'readTags', 'T', readSrc)(reads, defs, readTagBuffer, tagIndex);

  const wconsts: string[] = [];
  const lines: string[] = [];
  regular.forEach((s, j) => {
    const lit = defaultLiteral(s.def());
    let fill: string;
    if (lit !== null) fill = lit;
    else {
      wconsts.push(`F${j} = S[${j}].def`);
      fill = `F${j}()`;
    }
    let call: string;
    if (s.writeMethod) call = `w.${s.writeMethod}(x)`;
    else {
      wconsts.push(`W${j} = S[${j}].write`);
      call = `W${j}(w, x)`;
    }
    lines.push(`  x = o.${s.name}; if (x === undefined) x = ${fill}; ${call};`);
  });
  const writeSrc = [
    wconsts.length ? `const ${wconsts.join(', ')};` : '',
    'return function write(w, v) {',
    '  const o = v == null ? E : v;',
    '  let x;',
    ...lines,
    flexible ? '  writeTags(w, o, TG);' : '',
    '};',
  ].join('\n');
  const write = new Function('S', 'E', 'writeTags', 'TG', writeSrc)(regular, {}, writeTagBuffer, tagged);
  return { read, write };
}

/** Loop-based fallback for field names that are not identifiers (none in the current specs). */
function interpretStruct(
  names: string[],
  kinds: number[],
  defs: (() => Value)[],
  reads: (ReadFn | null)[],
  regular: RegularStep[],
  tagged: TaggedStep[],
  tagIndex: Map<number, TaggedStep>,
  flexible: boolean,
): Pick<StructCodec, 'read' | 'write'> {
  const n = names.length;
  const read = (r: Reader): Record<string, Value> => {
    const o: Record<string, Value> = {};
    for (let i = 0; i < n; i++) {
      const fn = reads[i];
      o[names[i]] = kinds[i] === 0 && fn !== null ? fn(r) : defs[i]();
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
  return { read, write };
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
