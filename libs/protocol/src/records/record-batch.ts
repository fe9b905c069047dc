// Encoding and decoding whole v2 record batches with their records. This is the slow, allocating path (clients,
// tests, the controller's metadata log, transaction markers); the produce path only needs RecordBatchView.
import { crc32c } from '../crc32c';
import { compress, CompressionType, decompress, type CompressOptions, type DecompressOptions } from '../compression';
import { corrupt } from './fail';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchView,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  TRANSACTIONAL_FLAG_MASK,
  validateRecordBatch,
} from './record-batch-view';
import { RecordCursor, sizeOfVarint, sizeOfVarlong, writeInt64Number, writeVarint, writeVarlong } from './varint';

export type BytesInput = Buffer | Uint8Array | string | null | undefined;

export interface RecordHeaderInput {
  key: string;
  value?: BytesInput;
}

export interface RecordInput {
  key?: BytesInput;
  value?: BytesInput;
  headers?: RecordHeaderInput[];
  /** Create time in ms; defaults to the batch's firstTimestamp or Date.now(). */
  timestamp?: number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
}

export interface RecordBatchInput {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: number;
  /** Passed to the codec (gzip/zstd level). */
  compressionLevel?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  timestampType?: TimestampType;
  /** Defaults to the smallest record timestamp. */
  firstTimestamp?: number;
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: number;
  /** Defaults to the largest offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  records: RecordInput[];
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: number;
  offsetDelta: number;
  timestamp: number;
  timestampDelta: number;
  /** Zero-copy view into the batch (or into the decompressed records). */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedRecordBatch {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  records: DecodedRecord[];
}

function toBytes(v: BytesInput): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Buffer.isBuffer(v)) return v;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

interface PreparedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[Buffer, Buffer | null]>;
  timestampDelta: number;
  offsetDelta: number;
  bodySize: number;
}

/** Encodes one v2 record batch (header, records, optional compression, CRC). */
export function encodeRecordBatch(input: RecordBatchInput, compressOptions?: CompressOptions): Buffer {
  const records = input.records;
  const compression = input.compression ?? CompressionType.None;
  const now = Date.now();

  let minTs = Infinity;
  let maxTs = -Infinity;
  let maxDelta = -1;
  for (let i = 0; i < records.length; i++) {
    const ts = records[i].timestamp ?? input.firstTimestamp ?? now;
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    const d = records[i].offsetDelta ?? i;
    if (d > maxDelta) maxDelta = d;
  }
  const firstTimestamp = input.firstTimestamp ?? (records.length ? minTs : now);
  const maxTimestamp = input.maxTimestamp ?? (records.length ? maxTs : firstTimestamp);
  const lastOffsetDelta = input.lastOffsetDelta ?? Math.max(maxDelta, 0);

  const prepared: PreparedRecord[] = new Array(records.length);
  let recordsSize = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const key = toBytes(r.key);
    const value = toBytes(r.value);
    const headers: Array<[Buffer, Buffer | null]> = (r.headers ?? []).map((h) => [Buffer.from(h.key, 'utf8'), toBytes(h.value)]);
    const timestampDelta = (r.timestamp ?? input.firstTimestamp ?? now) - firstTimestamp;
    const offsetDelta = r.offsetDelta ?? i;
    let body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
    body += key ? sizeOfVarint(key.length) + key.length : 1;
    body += value ? sizeOfVarint(value.length) + value.length : 1;
    body += sizeOfVarint(headers.length);
    for (const [hk, hv] of headers) {
      body += sizeOfVarint(hk.length) + hk.length + (hv ? sizeOfVarint(hv.length) + hv.length : 1);
    }
    prepared[i] = { key, value, headers, timestampDelta, offsetDelta, bodySize: body };
    recordsSize += sizeOfVarint(body) + body;
  }

  const uncompressed = compression === CompressionType.None;
  // Uncompressed records go straight after the header in the final buffer; compressed ones into a scratch buffer.
  const recBuf = Buffer.allocUnsafe(uncompressed ? RECORD_BATCH_HEADER_SIZE + recordsSize : recordsSize);
  let pos = uncompressed ? RECORD_BATCH_HEADER_SIZE : 0;
  for (const p of prepared) {
    pos = writeVarint(recBuf, pos, p.bodySize);
    recBuf[pos++] = 0; // record attributes: unused
    pos = writeVarlong(recBuf, pos, p.timestampDelta);
    pos = writeVarint(recBuf, pos, p.offsetDelta);
    pos = writeBytes(recBuf, pos, p.key);
    pos = writeBytes(recBuf, pos, p.value);
    pos = writeVarint(recBuf, pos, p.headers.length);
    for (const [hk, hv] of p.headers) {
      pos = writeBytes(recBuf, pos, hk);
      pos = writeBytes(recBuf, pos, hv);
    }
  }

  let out: Buffer;
  if (uncompressed) {
    out = recBuf;
  } else {
    const level = input.compressionLevel ?? compressOptions?.level;
    const body = compress(compression, recBuf, level === undefined ? compressOptions : { ...compressOptions, level });
    out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + body.length);
    body.copy(out, RECORD_BATCH_HEADER_SIZE);
  }

  let attributes = compression & COMPRESSION_CODEC_MASK;
  if (input.timestampType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (input.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (input.isControl) attributes |= CONTROL_FLAG_MASK;

  writeInt64Number(out, 0, input.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt32BE(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 12);
  out.writeInt8(CURRENT_MAGIC, 16);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(lastOffsetDelta, 23);
  writeInt64Number(out, 27, firstTimestamp);
  writeInt64Number(out, 35, maxTimestamp);
  writeInt64Number(out, 43, input.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  out.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, 53);
  out.writeInt32BE(records.length, 57);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return out;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

export interface DecodeOptions extends DecompressOptions {
  /** Verify the CRC before decoding (default true). */
  verifyCrc?: boolean;
}

/**
 * Decodes one v2 record batch at the start of `buf` (use splitRecordBatches for several). Checks magic, sizes,
 * CRC (unless disabled) and that exactly recordCount records fill the (decompressed) records section.
 * For LogAppendTime batches every record's timestamp is the batch's maxTimestamp, as Kafka consumers report it.
 */
export function decodeRecordBatch(buf: Buffer | RecordBatchView, options?: DecodeOptions): DecodedRecordBatch {
  const view = buf instanceof RecordBatchView ? buf : new RecordBatchView(buf, 0);
  validateRecordBatch(view, { checkCrc: options?.verifyCrc !== false, checkRecords: false, checkOffsetRange: false });
  const start = view.offset;
  const end = start + view.totalSize;
  const compression = view.compression;
  let data = view.buf;
  let pos = start + RECORD_BATCH_HEADER_SIZE;
  let dataEnd = end;
  if (compression !== CompressionType.None) {
    data = decompress(compression, view.buf.subarray(pos, end), options);
    pos = 0;
    dataEnd = data.length;
  }

  const baseOffset = view.baseOffset;
  const firstTimestamp = view.firstTimestamp;
  const maxTimestamp = view.maxTimestamp;
  const logAppend = view.timestampType === TimestampType.LogAppendTime;
  const count = view.recordCount;
  // Each record takes at least 7 bytes; refuse counts the data can't hold before sizing any array by them.
  if (count > (dataEnd - pos) / 7) corrupt(`record batch claims ${count} records but holds only ${dataEnd - pos} bytes`);

  const records: DecodedRecord[] = new Array(count);
  const cur = new RecordCursor(data, pos, dataEnd);
  for (let i = 0; i < count; i++) {
    const len = cur.varint();
    if (len <= 0 || len > dataEnd - cur.pos) corrupt(`record ${i} has invalid length ${len}`);
    const recEnd = cur.pos + len;
    const outerEnd = cur.end;
    cur.end = recEnd;
    cur.int8(); // attributes, unused
    const timestampDelta = cur.varlong();
    const offsetDelta = cur.varint();
    const key = cur.bytesOrNull(cur.varint(), 'key');
    const value = cur.bytesOrNull(cur.varint(), 'value');
    const headerCount = cur.varint();
    if (headerCount < 0 || headerCount > (recEnd - cur.pos) / 2) corrupt(`record ${i} has invalid header count ${headerCount}`);
    const headers: RecordHeader[] = new Array(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const hk = cur.bytesOrNull(cur.varint(), 'header key');
      if (hk === null) corrupt(`record ${i} has a null header key`);
      headers[h] = { key: hk.toString('utf8'), value: cur.bytesOrNull(cur.varint(), 'header value') };
    }
    if (cur.pos !== recEnd) corrupt(`record ${i} has ${recEnd - cur.pos} unread bytes`);
    cur.end = outerEnd;
    records[i] = {
      offset: baseOffset + offsetDelta,
      offsetDelta,
      timestamp: logAppend ? maxTimestamp : firstTimestamp + timestampDelta,
      timestampDelta,
      key,
      value,
      headers,
    };
  }
  if (cur.pos !== dataEnd) corrupt(`record batch has ${dataEnd - cur.pos} bytes after its ${count} records`);

  return {
    baseOffset,
    batchLength: view.batchLength,
    partitionLeaderEpoch: view.partitionLeaderEpoch,
    magic: view.magic,
    crc: view.crc,
    attributes: view.attributes,
    compression,
    timestampType: view.timestampType,
    isTransactional: view.isTransactional,
    isControl: view.isControl,
    lastOffsetDelta: view.lastOffsetDelta,
    firstTimestamp,
    maxTimestamp,
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
    recordCount: count,
    records,
  };
}
