// Zero-copy access to the 61-byte header of a v2 record batch (magic 2), plus the cheap checks the produce
// path runs on every batch. Nothing here allocates per record or copies batch bytes.
import { crc32c } from '../crc32c';
import { decompress, type DecompressOptions } from '../compression';
import { corrupt, INVALID_RECORD, INVALID_TIMESTAMP, protocolError, UNSUPPORTED_FOR_MESSAGE_FORMAT } from './fail';
import { readInt64Number, RecordCursor, writeInt64Number } from './varint';

// Header layout (byte offsets inside a batch).
export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const FIRST_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
/** Size of the v2 batch header; records start here. */
export const RECORD_BATCH_HEADER_SIZE = 61;
/** Bytes before (and including) the batchLength field: totalSize = batchLength + LOG_OVERHEAD. */
export const LOG_OVERHEAD = 12;
/** The smallest valid batchLength (a header with no records). */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;

export const CURRENT_MAGIC = 2;

// Attribute bits.
export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** Kafka's "no producer" / "no sequence" / "unknown epoch" markers. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1;

/**
 * A view of one v2 record batch at `buf[offset ...]`. The getters read the bytes each time (nothing is cached),
 * so the view stays right after in-place patches. Construct through `splitRecordBatches` (which checks sizes) or
 * directly over a buffer you have already checked.
 */
export class RecordBatchView {
  constructor(
    readonly buf: Buffer,
    readonly offset = 0,
  ) {}

  get baseOffset(): number {
    return readInt64Number(this.buf, this.offset + BASE_OFFSET_OFFSET);
  }
  get batchLength(): number {
    return this.buf.readInt32BE(this.offset + BATCH_LENGTH_OFFSET);
  }
  /** Bytes the whole batch occupies (header + records). */
  get totalSize(): number {
    return this.batchLength + LOG_OVERHEAD;
  }
  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.offset + PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buf.readInt8(this.offset + MAGIC_OFFSET);
  }
  get crc(): number {
    return this.buf.readUInt32BE(this.offset + CRC_OFFSET);
  }
  get attributes(): number {
    return this.buf.readInt16BE(this.offset + ATTRIBUTES_OFFSET);
  }
  /** Compression codec id (see CompressionType): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  get compression(): number {
    return this.buf[this.offset + ATTRIBUTES_OFFSET + 1] & COMPRESSION_CODEC_MASK;
  }
  get timestampType(): TimestampType {
    return this.buf[this.offset + ATTRIBUTES_OFFSET + 1] & TIMESTAMP_TYPE_MASK ? 1 : 0;
  }
  get isTransactional(): boolean {
    return (this.buf[this.offset + ATTRIBUTES_OFFSET + 1] & TRANSACTIONAL_FLAG_MASK) !== 0;
  }
  get isControl(): boolean {
    return (this.buf[this.offset + ATTRIBUTES_OFFSET + 1] & CONTROL_FLAG_MASK) !== 0;
  }
  /** Set by log compaction (KIP-534): firstTimestamp then holds the delete horizon. */
  get hasDeleteHorizon(): boolean {
    return (this.buf[this.offset + ATTRIBUTES_OFFSET + 1] & DELETE_HORIZON_FLAG_MASK) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.offset + LAST_OFFSET_DELTA_OFFSET);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  /** The offset after this batch. */
  get nextOffset(): number {
    return this.lastOffset + 1;
  }
  get firstTimestamp(): number {
    return readInt64Number(this.buf, this.offset + FIRST_TIMESTAMP_OFFSET);
  }
  get maxTimestamp(): number {
    return readInt64Number(this.buf, this.offset + MAX_TIMESTAMP_OFFSET);
  }
  get producerId(): number {
    return readInt64Number(this.buf, this.offset + PRODUCER_ID_OFFSET);
  }
  get producerEpoch(): number {
    return this.buf.readInt16BE(this.offset + PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.buf.readInt32BE(this.offset + BASE_SEQUENCE_OFFSET);
  }
  /** Sequence of the last record, wrapping at int32 like Kafka does. */
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    const last = base + this.lastOffsetDelta;
    return last > 0x7fffffff ? last - 0x80000000 : last;
  }
  get recordCount(): number {
    return this.buf.readInt32BE(this.offset + RECORD_COUNT_OFFSET);
  }

  /** The whole batch (zero copy). */
  get bytes(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.totalSize);
  }
  /** The records section after the header, still compressed if the batch is (zero copy). */
  get recordsBytes(): Buffer {
    return this.buf.subarray(this.offset + RECORD_BATCH_HEADER_SIZE, this.offset + this.totalSize);
  }

  /** Patches the base offset in place; it sits outside the CRC, so the CRC stays valid. */
  setBaseOffset(n: number): void {
    writeInt64Number(this.buf, this.offset + BASE_OFFSET_OFFSET, n);
  }
  /** Patches the partition leader epoch in place; it sits outside the CRC. */
  setPartitionLeaderEpoch(n: number): void {
    this.buf.writeInt32BE(n, this.offset + PARTITION_LEADER_EPOCH_OFFSET);
  }
  /**
   * Sets the timestamp type and max timestamp (the broker does this for message.timestamp.type=LogAppendTime)
   * and rewrites the CRC, since both fields are covered by it.
   */
  setMaxTimestamp(timestampType: TimestampType, maxTimestamp: number): void {
    const at = this.offset + ATTRIBUTES_OFFSET + 1;
    this.buf[at] = timestampType === 1 ? this.buf[at] | TIMESTAMP_TYPE_MASK : this.buf[at] & ~TIMESTAMP_TYPE_MASK;
    writeInt64Number(this.buf, this.offset + MAX_TIMESTAMP_OFFSET, maxTimestamp);
    this.updateCrc();
  }

  /** CRC32C over attributes..end, as stored in the crc field. */
  computeCrc(): number {
    return crc32c(this.buf.subarray(this.offset + ATTRIBUTES_OFFSET, this.offset + this.totalSize));
  }
  verifyCrc(): boolean {
    return this.computeCrc() === this.crc;
  }
  updateCrc(): void {
    this.buf.writeUInt32BE(this.computeCrc(), this.offset + CRC_OFFSET);
  }
}

export interface SplitOptions {
  /**
   * Fetch responses may end in a partial batch (the broker cuts at maxBytes); with this set the partial tail is
   * ignored instead of raising CORRUPT_MESSAGE. Produce requests must never set it.
   */
  allowPartialTrailing?: boolean;
}

function checkMagic(buf: Buffer, at: number): void {
  const magic = buf.readInt8(at + MAGIC_OFFSET);
  if (magic === CURRENT_MAGIC) return;
  if (magic === 0 || magic === 1) {
    throw protocolError(
      UNSUPPORTED_FOR_MESSAGE_FORMAT,
      `message format v${magic} (magic ${magic}) is not supported: only record batch v2 (magic 2, Kafka 0.11+) is accepted`,
    );
  }
  corrupt(`record batch at byte ${at} has unknown magic ${magic}`);
}

/**
 * Splits a records field into batch views, zero copy. Checks each batch's magic and that its length field fits
 * the buffer; CRCs and record counts are left to `validateRecordBatch`.
 */
export function splitRecordBatches(records: Buffer, options?: SplitOptions): RecordBatchView[] {
  const out: RecordBatchView[] = [];
  const end = records.length;
  const partialOk = options?.allowPartialTrailing === true;
  let at = 0;
  while (at < end) {
    const remaining = end - at;
    if (remaining < LOG_OVERHEAD) {
      if (partialOk) break;
      corrupt(`${remaining} trailing bytes after the last record batch are too few for a batch header`);
    }
    const batchLength = records.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (remaining < MAGIC_OFFSET + 1) {
      if (partialOk && batchLength + LOG_OVERHEAD > remaining) break;
      corrupt(`record batch at byte ${at} is truncated: ${remaining} bytes left`);
    }
    checkMagic(records, at);
    if (batchLength < MIN_BATCH_LENGTH) {
      corrupt(`record batch at byte ${at} has batchLength ${batchLength}, below the minimum ${MIN_BATCH_LENGTH}`);
    }
    const total = batchLength + LOG_OVERHEAD;
    if (total > remaining) {
      if (partialOk) break;
      corrupt(`record batch at byte ${at} is truncated: batchLength ${batchLength} needs ${total} bytes, ${remaining} left`);
    }
    out.push(new RecordBatchView(records, at));
    at += total;
  }
  return out;
}

export interface ValidateOptions {
  /** Check the CRC (default true). */
  checkCrc?: boolean;
  /**
   * For uncompressed batches, walk the record length prefixes to check that exactly recordCount records fill the
   * batch (default true). It reads one varint per record and allocates nothing.
   */
  checkRecords?: boolean;
  /**
   * Require lastOffsetDelta + 1 === recordCount > 0 (default true), as Kafka does for batches from producers.
   * Pass false for batches that went through compaction (which keeps lastOffsetDelta but drops records).
   */
  checkOffsetRange?: boolean;
  /** Reject records with a null key (INVALID_RECORD), as Kafka does for cleanup.policy=compact topics. */
  requireKeys?: boolean;
  /**
   * Reject CreateTime batches with a record timestamp outside [min, max] ms (INVALID_TIMESTAMP), e.g. now minus
   * message.timestamp.before.max.ms .. now plus message.timestamp.after.max.ms. Ignored for LogAppendTime batches.
   */
  timestampRange?: { min: number; max: number };
  /**
   * Compressed batches: decompress (bounded; pass DecompressOptions to set the cap) and run the record checks on
   * the result. Without it, compressed batches get header and CRC checks only.
   */
  inspectCompressed?: boolean | DecompressOptions;
}

/**
 * Checks one batch the way a broker must before appending it: magic 2, sizes, CRC, offset range vs record count,
 * and (uncompressed) record framing. Throws KafkaProtocolError: CORRUPT_MESSAGE for size/CRC/framing problems,
 * INVALID_RECORD for an inconsistent offset range or count, UNSUPPORTED_FOR_MESSAGE_FORMAT for magic 0/1.
 */
export function validateRecordBatch(view: RecordBatchView, options?: ValidateOptions): void {
  const buf = view.buf;
  const at = view.offset;
  if (buf.length - at < RECORD_BATCH_HEADER_SIZE) {
    if (buf.length - at > MAGIC_OFFSET) checkMagic(buf, at);
    corrupt(`record batch at byte ${at} is shorter than the ${RECORD_BATCH_HEADER_SIZE}-byte header`);
  }
  checkMagic(buf, at);
  const batchLength = buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) corrupt(`record batch has batchLength ${batchLength}, below the minimum ${MIN_BATCH_LENGTH}`);
  const end = at + batchLength + LOG_OVERHEAD;
  if (end > buf.length) corrupt(`record batch is truncated: batchLength ${batchLength} runs past the end of the buffer`);

  if (options?.checkCrc !== false) {
    const stored = buf.readUInt32BE(at + CRC_OFFSET);
    const actual = crc32c(buf.subarray(at + ATTRIBUTES_OFFSET, end));
    if (stored !== actual) {
      corrupt(`record batch CRC mismatch: stored ${stored.toString(16)}, computed ${actual.toString(16)}`);
    }
  }

  const count = buf.readInt32BE(at + RECORD_COUNT_OFFSET);
  const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
  if (options?.checkOffsetRange === false) {
    if (count < 0) throw protocolError(INVALID_RECORD, `invalid record count ${count} in record batch`);
  } else if (count <= 0) {
    throw protocolError(INVALID_RECORD, `invalid record count ${count} in record batch`);
  } else if (lastOffsetDelta !== count - 1) {
    throw protocolError(
      INVALID_RECORD,
      `inconsistent record batch: lastOffsetDelta ${lastOffsetDelta} does not match record count ${count}`,
    );
  }

  if (options?.checkRecords === false) return;
  const codec = buf[at + ATTRIBUTES_OFFSET + 1] & COMPRESSION_CODEC_MASK;
  const requireKeys = options?.requireKeys === true;
  const range = buf[at + ATTRIBUTES_OFFSET + 1] & TIMESTAMP_TYPE_MASK ? undefined : options?.timestampRange;
  if (codec === 0) {
    if (requireKeys || range) {
      inspectRecords(buf, at + RECORD_BATCH_HEADER_SIZE, end, count, readInt64Number(buf, at + FIRST_TIMESTAMP_OFFSET), requireKeys, range);
    } else {
      checkRecordFraming(buf, at + RECORD_BATCH_HEADER_SIZE, end, count);
    }
  } else if (options?.inspectCompressed) {
    const opts = typeof options.inspectCompressed === 'object' ? options.inspectCompressed : undefined;
    const data = decompress(codec, buf.subarray(at + RECORD_BATCH_HEADER_SIZE, end), opts);
    inspectRecords(data, 0, data.length, count, readInt64Number(buf, at + FIRST_TIMESTAMP_OFFSET), requireKeys, range);
  }
}

/** Walks records far enough to see each timestamp and key length; allocates one cursor per batch, nothing per record. */
function inspectRecords(
  buf: Buffer,
  pos: number,
  end: number,
  count: number,
  firstTimestamp: number,
  requireKeys: boolean,
  range: { min: number; max: number } | undefined,
): void {
  const cur = new RecordCursor(buf, pos, end);
  for (let i = 0; i < count; i++) {
    if (cur.pos >= end) corrupt(`record batch holds fewer records than its count ${count}`);
    const len = cur.varint();
    if (len <= 0 || len > end - cur.pos) corrupt(`record ${i} has invalid length ${len}`);
    const recEnd = cur.pos + len;
    cur.end = recEnd;
    cur.int8(); // attributes
    const ts = firstTimestamp + cur.varlong();
    cur.varint(); // offset delta
    const keyLen = cur.varint();
    if (keyLen < -1 || keyLen > recEnd - cur.pos) corrupt(`record ${i} has invalid key length ${keyLen}`);
    if (requireKeys && keyLen === -1) {
      throw protocolError(INVALID_RECORD, 'compacted topic cannot accept a record without a key');
    }
    if (range && (ts < range.min || ts > range.max)) {
      throw protocolError(INVALID_TIMESTAMP, `record timestamp ${ts} is outside the accepted range [${range.min}, ${range.max}]`);
    }
    cur.pos = recEnd;
    cur.end = end;
  }
  if (cur.pos !== end) corrupt(`record batch has ${end - cur.pos} bytes after its ${count} records`);
}

/** Walks `count` length-prefixed records in [pos, end) and checks they fill it exactly. No allocation. */
export function checkRecordFraming(buf: Buffer, pos: number, end: number, count: number): void {
  for (let i = 0; i < count; i++) {
    // Inline zigzag varint read: this loop runs once per record on the produce path.
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) corrupt(`record batch holds fewer records than its count ${count}`);
      const b = buf[pos++];
      if (shift === 28) {
        if (b > 0x0f) corrupt('record length varint is longer than 5 bytes');
        v |= b << 28;
        break;
      }
      v |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    v >>>= 0;
    const len = (v >>> 1) ^ -(v & 1);
    if (len <= 0 || len > end - pos) corrupt(`record ${i} has invalid length ${len}`);
    pos += len;
  }
  if (pos !== end) corrupt(`record batch has ${end - pos} bytes after its ${count} records`);
}
