/**
 * Shape of the schema tables that tools/codegen/generate.js emits from Kafka's JSON message specs.
 * The tables are plain data; codec/compile.ts turns one (schema, version) into a cached step list.
 */

/** Inclusive [min, max] version range; max is 0x7fff for an open range ("3+"). */
export type VersionRange = readonly [number, number];

export const OPEN_MAX = 0x7fff;

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'uuid'
  | 'string'
  | 'bytes'
  | 'records';

export interface FieldSchema {
  /** lowerCamelCase property name. */
  readonly name: string;
  /** Spec field name (UpperCamelCase), for error messages. */
  readonly specName: string;
  /** A primitive, 'struct' (single nested struct) or 'array'. */
  readonly type: PrimitiveType | 'struct' | 'array';
  /** Element type of an array: a primitive or 'struct'. */
  readonly elem?: PrimitiveType | 'struct';
  /** Struct name (for 'struct' and arrays of structs). */
  readonly struct?: string;
  /** Fields of the struct (for 'struct' and arrays of structs). */
  readonly fields?: readonly FieldSchema[];
  readonly versions: VersionRange | null;
  readonly nullable?: VersionRange;
  readonly tag?: number;
  readonly taggedVersions?: VersionRange;
  /** Spec default, normalised: numbers, int64 as decimal string, booleans, strings, or null. */
  readonly default?: number | string | boolean | null;
  /** Field-level override: `false` = never use compact encodings (RequestHeader.ClientId). */
  readonly flexible?: false;
}

export type SpecKind = 'request' | 'response' | 'header' | 'data' | 'metadata';

export interface MessageSchema {
  readonly name: string;
  readonly kind: SpecKind;
  /** Folder the spec came from. */
  readonly source: 'kafka-messages' | 'kafka-metadata-records' | 'kafka-internal-records';
  readonly apiKey?: number;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange | null;
  readonly deprecatedVersions?: VersionRange;
  readonly latestVersionUnstable?: boolean;
  readonly fields: readonly FieldSchema[];
}

export function inRange(r: VersionRange | null | undefined, v: number): boolean {
  return r != null && v >= r[0] && v <= r[1];
}
