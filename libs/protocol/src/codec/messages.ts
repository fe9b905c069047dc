import { CORRUPT_MESSAGE, KafkaProtocolError, UNSUPPORTED_VERSION } from '../errors/kafka-protocol-error';
import { API_SPECS, ApiKey } from '../generated/api-keys';
import { INTERNAL_RECORD_SCHEMAS } from '../generated/schemas-internal-records';
import { MESSAGE_SCHEMAS } from '../generated/schemas-messages';
import { METADATA_RECORD_SCHEMAS } from '../generated/schemas-metadata-records';
import type { MessageTypes, RequestTypes, ResponseTypes } from '../generated/type-maps';
import { METADATA_RECORD_TYPES } from '../generated/type-maps';
import { Reader } from '../primitives/reader';
import { Writer } from '../primitives/writer';
import { compileStruct, StructCodec } from './compile';
import { inRange, MessageSchema } from './schema';

/**
 * Input accepted by the encoders: every field optional (missing = spec default), int64 as bigint or safe-integer
 * number, and record data as one Buffer or a list of Buffers (appended by reference).
 */
export type Encodable<T> = T extends Buffer
  ? Buffer | Buffer[]
  : T extends bigint
    ? bigint | number
    : T extends readonly (infer E)[]
      ? Encodable<E>[]
      : T extends object
        ? { [K in keyof T]?: Encodable<T[K]> }
        : T;

export type SpecName = keyof MessageTypes;
export type RequestBody<K extends number> = K extends keyof RequestTypes ? RequestTypes[K] : Record<string, unknown>;
export type ResponseBody<K extends number> = K extends keyof ResponseTypes ? ResponseTypes[K] : Record<string, unknown>;

/** Every spec by name (requests, responses, headers, data records, metadata and internal records). */
export const SCHEMAS: Readonly<Record<string, MessageSchema>> = {
  ...MESSAGE_SCHEMAS,
  ...METADATA_RECORD_SCHEMAS,
  ...INTERNAL_RECORD_SCHEMAS,
};

export function getSchema(name: string): MessageSchema {
  const s = SCHEMAS[name];
  if (!s) throw new KafkaProtocolError(CORRUPT_MESSAGE, `Unknown message spec '${name}'`);
  return s;
}

const topCache = new Map<string, StructCodec[]>();

/** The compiled codec for one spec and version (cached); throws UNSUPPORTED_VERSION outside validVersions. */
export function messageCodec(name: string, version: number): StructCodec {
  let arr = topCache.get(name);
  if (!arr) {
    arr = [];
    topCache.set(name, arr);
  }
  let c = arr[version];
  if (!c) {
    const s = getSchema(name);
    if (!Number.isInteger(version) || !inRange(s.validVersions, version)) {
      throw new KafkaProtocolError(
        UNSUPPORTED_VERSION,
        `${name} version ${version} is not supported (valid ${s.validVersions[0]}-${s.validVersions[1]})`,
      );
    }
    c = compileStruct(s.fields, version, inRange(s.flexibleVersions, version));
    arr[version] = c;
  }
  return c;
}

export function encodeMessage<N extends SpecName>(name: N, version: number, value: Encodable<MessageTypes[N]>): Buffer;
export function encodeMessage(name: string, version: number, value: object): Buffer;
export function encodeMessage(name: string, version: number, value: object): Buffer {
  const w = new Writer();
  messageCodec(name, version).write(w, value as Record<string, unknown>);
  return w.toBuffer();
}

/** Writes a message body into an existing writer (for callers framing several things together). */
export function writeMessage(w: Writer, name: string, version: number, value: object): void {
  messageCodec(name, version).write(w, value as Record<string, unknown>);
}

export function decodeMessage<N extends SpecName>(name: N, version: number, input: Buffer | Reader): MessageTypes[N];
export function decodeMessage(name: string, version: number, input: Buffer | Reader): Record<string, unknown>;
export function decodeMessage(name: string, version: number, input: Buffer | Reader): Record<string, unknown> {
  const r = Buffer.isBuffer(input) ? new Reader(input) : input;
  return messageCodec(name, version).read(r);
}

// ---- API keys and headers ------------------------------------------------------------------------------------------

export function apiName(apiKey: number): string {
  return API_SPECS[apiKey]?.name ?? `Unknown(${apiKey})`;
}

export function isSupportedVersion(apiKey: number, version: number): boolean {
  const spec = API_SPECS[apiKey];
  return spec !== undefined && inRange(spec.validVersions, version);
}

function isFlexible(apiKey: number, version: number): boolean {
  const spec = API_SPECS[apiKey];
  return spec !== undefined && inRange(spec.flexibleVersions, version);
}

/** Request header version: 2 for flexible versions, 1 otherwise; ControlledShutdown v0 used header v0. */
export function requestHeaderVersion(apiKey: number, version: number): 0 | 1 | 2 {
  if (apiKey === ApiKey.ControlledShutdown && version === 0) return 0;
  return isFlexible(apiKey, version) ? 2 : 1;
}

/** Response header version: 1 for flexible versions, 0 otherwise; ApiVersions responses always use v0. */
export function responseHeaderVersion(apiKey: number, version: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, version) ? 1 : 0;
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

function skipTagBuffer(r: Reader): void {
  const count = r.uvarint();
  if (count === 0) return;
  r.checkCount(count, 2);
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

/**
 * Reads a request header. The API key and version come first in every header version, so they pick the header
 * version; for an unknown key or an out-of-range version a v1 header is read, enough to answer UNSUPPORTED_VERSION.
 */
export function decodeRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const hv = isSupportedVersion(apiKey, apiVersion) ? requestHeaderVersion(apiKey, apiVersion) : 1;
  let clientId: string | null = null;
  if (hv >= 1) clientId = r.nullableString(); // classic int16 length even in header v2
  if (hv >= 2) skipTagBuffer(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

export function writeRequestHeader(w: Writer, h: RequestHeader): void {
  const hv = requestHeaderVersion(h.apiKey, h.apiVersion);
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId);
  if (hv >= 1) w.nullableString(h.clientId ?? null);
  if (hv >= 2) w.uvarint(0);
}

function requestSchemaName(apiKey: number, version: number): string {
  const spec = API_SPECS[apiKey];
  if (!spec) throw new KafkaProtocolError(UNSUPPORTED_VERSION, `Unknown API key ${apiKey}`);
  if (!inRange(spec.validVersions, version)) {
    throw new KafkaProtocolError(
      UNSUPPORTED_VERSION,
      `${spec.name} version ${version} is not supported (valid ${spec.validVersions[0]}-${spec.validVersions[1]})`,
    );
  }
  return spec.requestName;
}

function responseSchemaName(apiKey: number, version: number): string {
  requestSchemaName(apiKey, version);
  return API_SPECS[apiKey].responseName;
}

/** Decodes a request body; the reader is positioned just after the header. */
export function decodeRequest<K extends number>(apiKey: K, version: number, r: Reader): RequestBody<K> {
  return messageCodec(requestSchemaName(apiKey, version), version).read(r) as RequestBody<K>;
}

/** Size-prefixed request frame (header + body) as a list of buffers; big record data is not copied. */
export function encodeRequest<K extends number>(
  header: RequestHeader & { apiKey: K },
  body: Encodable<RequestBody<K>>,
): Buffer[] {
  const codec = messageCodec(requestSchemaName(header.apiKey, header.apiVersion), header.apiVersion);
  const w = new Writer();
  w.int32(0);
  writeRequestHeader(w, header);
  codec.write(w, body as Record<string, unknown>);
  w.patchInt32(0, w.length - 4);
  return w.toChunks();
}

/** Size-prefixed response frame (header v0/v1 + body) as a list of buffers; big record data is not copied. */
export function encodeResponse<K extends number>(
  apiKey: K,
  version: number,
  correlationId: number,
  body: Encodable<ResponseBody<K>>,
): Buffer[] {
  const codec = messageCodec(responseSchemaName(apiKey, version), version);
  const w = new Writer();
  w.int32(0);
  w.int32(correlationId);
  if (responseHeaderVersion(apiKey, version) === 1) w.uvarint(0);
  codec.write(w, body as Record<string, unknown>);
  w.patchInt32(0, w.length - 4);
  return w.toChunks();
}

/** Decodes a response frame given without its 4-byte size prefix. */
export function decodeResponse<K extends number>(
  apiKey: K,
  version: number,
  frame: Buffer | Reader,
): { correlationId: number; body: ResponseBody<K> } {
  const r = Buffer.isBuffer(frame) ? new Reader(frame) : frame;
  const correlationId = r.int32();
  if (responseHeaderVersion(apiKey, version) === 1) skipTagBuffer(r);
  const body = messageCodec(responseSchemaName(apiKey, version), version).read(r) as ResponseBody<K>;
  return { correlationId, body };
}

/** Decodes a request frame given without its size prefix: header, then body. */
export function decodeRequestFrame(frame: Buffer | Reader): { header: RequestHeader; body: Record<string, unknown> } {
  const r = Buffer.isBuffer(frame) ? new Reader(frame) : frame;
  const header = decodeRequestHeader(r);
  const body = decodeRequest(header.apiKey, header.apiVersion, r) as Record<string, unknown>;
  return { header, body };
}

// ---- KRaft metadata records ----------------------------------------------------------------------------------------

/** Kafka's metadata log frames records as: uvarint frame version (1), uvarint record type (apiKey), uvarint version. */
export const METADATA_FRAME_VERSION = 1;

export interface MetadataRecord<N extends string = string> {
  name: N;
  apiKey: number;
  version: number;
  data: N extends SpecName ? MessageTypes[N] : Record<string, unknown>;
}

export function encodeMetadataRecord<N extends SpecName>(rec: {
  name: N;
  version: number;
  data: Encodable<MessageTypes[N]>;
}): Buffer;
export function encodeMetadataRecord(rec: { name: string; version: number; data: object }): Buffer;
export function encodeMetadataRecord(rec: { name: string; version: number; data: object }): Buffer {
  const schema = getSchema(rec.name);
  if (schema.kind !== 'metadata' || schema.apiKey === undefined) {
    throw new KafkaProtocolError(CORRUPT_MESSAGE, `${rec.name} is not a metadata record`);
  }
  const codec = messageCodec(rec.name, rec.version);
  const w = new Writer();
  w.uvarint(METADATA_FRAME_VERSION).uvarint(schema.apiKey).uvarint(rec.version);
  codec.write(w, rec.data as Record<string, unknown>);
  return w.toBuffer();
}

export function decodeMetadataRecord(input: Buffer | Reader): MetadataRecord {
  const r = Buffer.isBuffer(input) ? new Reader(input) : input;
  const frameVersion = r.uvarint();
  // Early KRaft builds wrote frame version 0 with the same layout; accept both.
  if (frameVersion !== 1 && frameVersion !== 0) {
    throw new KafkaProtocolError(CORRUPT_MESSAGE, `Unsupported metadata record frame version ${frameVersion}`);
  }
  const apiKey = r.uvarint();
  const version = r.uvarint();
  const name = METADATA_RECORD_TYPES[apiKey];
  if (!name) throw new KafkaProtocolError(CORRUPT_MESSAGE, `Unknown metadata record type ${apiKey}`);
  const data = messageCodec(name, version).read(r);
  return { name, apiKey, version, data } as MetadataRecord;
}

// ---- version-prefixed data (consumer protocol metadata, __consumer_offsets / __transaction_state records) ---------

/**
 * Encodes `int16 version` followed by the body: the layout of ConsumerProtocolSubscription/Assignment bytes inside
 * JoinGroup/SyncGroup, and of the keys and values of Kafka's internal topics (OffsetCommitKey, GroupMetadataValue, ...).
 */
export function encodeVersionedMessage<N extends SpecName>(name: N, version: number, value: Encodable<MessageTypes[N]>): Buffer;
export function encodeVersionedMessage(name: string, version: number, value: object): Buffer;
export function encodeVersionedMessage(name: string, version: number, value: object): Buffer {
  const codec = messageCodec(name, version);
  const w = new Writer();
  w.int16(version);
  codec.write(w, value as Record<string, unknown>);
  return w.toBuffer();
}

/**
 * Reads the int16 version prefix and the body. A version above the highest known one is read as the highest known
 * (newer versions of these schemas only add fields at the end or as tagged fields, which is how Kafka reads
 * subscriptions from newer clients); pass `{ clampNewer: false }` to get UNSUPPORTED_VERSION instead.
 */
export function decodeVersionedMessage<N extends SpecName>(
  name: N,
  input: Buffer | Reader,
  opts?: { clampNewer?: boolean },
): { version: number; data: MessageTypes[N] };
export function decodeVersionedMessage(
  name: string,
  input: Buffer | Reader,
  opts?: { clampNewer?: boolean },
): { version: number; data: Record<string, unknown> };
export function decodeVersionedMessage(
  name: string,
  input: Buffer | Reader,
  opts: { clampNewer?: boolean } = {},
): { version: number; data: Record<string, unknown> } {
  const r = Buffer.isBuffer(input) ? new Reader(input) : input;
  const version = r.int16();
  const max = getSchema(name).validVersions[1];
  const readAs = version > max && opts.clampNewer !== false ? max : version;
  return { version, data: messageCodec(name, readAs).read(r) };
}
