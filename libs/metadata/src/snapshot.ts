// KRaft metadata snapshots (KIP-630): the committed MetadataImage written as record batches framed by a
// SnapshotHeaderRecord and a SnapshotFooterRecord control batch. Controllers write and serve them, and every
// metadata reader (voter or broker observer) that fell behind the log start loads one instead of replaying.
import {
  ControlRecordType,
  RecordBatchView,
  decodeControlRecordKey,
  decodeMessage,
  decodeMetadataRecord,
  decodeRecordBatch,
  encodeControlRecordKey,
  encodeMessage,
  encodeMetadataRecord,
  encodeRecordBatch,
} from '@runnel/protocol';
import type { MetadataImage } from './image';
import type { MetadataRecord } from './records';

/** A snapshot holds every record below `endOffset`; `epoch` is the leader epoch of the record at endOffset - 1. */
export interface SnapshotId {
  endOffset: number;
  epoch: number;
}

export const SNAPSHOT_SUFFIX = '.checkpoint';

/** Kafka's file name: 20-digit end offset, dash, 10-digit epoch, `.checkpoint`. */
export function snapshotFileName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SNAPSHOT_SUFFIX}`;
}

export function parseSnapshotFileName(name: string): SnapshotId | null {
  const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name);
  return m ? { endOffset: Number(m[1]), epoch: Number(m[2]) } : null;
}

export function compareSnapshotIds(a: SnapshotId, b: SnapshotId): number {
  return a.endOffset - b.endOffset || a.epoch - b.epoch;
}

export class SnapshotCorruptError extends Error {}

/** Metadata records per batch: keeps batches well below the fetch and FetchSnapshot chunk sizes. */
const RECORDS_PER_BATCH = 512;

/**
 * Encodes a snapshot: header control batch, metadata record batches, footer control batch. Offsets inside the
 * snapshot count from 0 (they are positions in the snapshot, not in the log); every batch carries `id.epoch`.
 */
export function encodeSnapshot(id: SnapshotId, records: MetadataRecord[], lastContainedLogTimestamp: number): Buffer {
  const ts = Math.max(0, lastContainedLogTimestamp);
  const batches: Buffer[] = [];
  let offset = 0;
  const control = (type: number, value: Buffer) => {
    batches.push(
      encodeRecordBatch({
        baseOffset: offset++,
        partitionLeaderEpoch: id.epoch,
        isControl: true,
        records: [{ key: encodeControlRecordKey(type), value, timestamp: ts }],
      }),
    );
  };
  control(ControlRecordType.SnapshotHeader, encodeMessage('SnapshotHeaderRecord', 0, { version: 0, lastContainedLogTimestamp: BigInt(ts) }));
  for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) {
    const chunk = records.slice(i, i + RECORDS_PER_BATCH);
    batches.push(
      encodeRecordBatch({
        baseOffset: offset,
        partitionLeaderEpoch: id.epoch,
        records: chunk.map((r, j) => ({
          key: null,
          value: encodeMetadataRecord({ name: r.name, version: r.version ?? 0, data: r.data }),
          timestamp: ts,
          offsetDelta: j,
        })),
      }),
    );
    offset += chunk.length;
  }
  control(ControlRecordType.SnapshotFooter, encodeMessage('SnapshotFooterRecord', 0, { version: 0 }));
  return Buffer.concat(batches);
}

export interface ParsedSnapshot {
  records: MetadataRecord[];
  lastContainedLogTimestamp: number;
}

/**
 * Decodes and validates a whole snapshot file: every batch complete and CRC-clean, a header first and a footer
 * last. Throws SnapshotCorruptError otherwise (a torn write or a damaged file must never be loaded).
 */
export function parseSnapshot(buf: Buffer): ParsedSnapshot {
  const records: MetadataRecord[] = [];
  let pos = 0;
  let header: number | null = null;
  let footer = false;
  while (pos < buf.length) {
    if (footer) throw new SnapshotCorruptError(`data after the snapshot footer at byte ${pos}`);
    if (pos + 12 > buf.length) throw new SnapshotCorruptError(`torn batch header at byte ${pos}`);
    const total = buf.readInt32BE(pos + 8) + 12;
    if (total < 61 || pos + total > buf.length) throw new SnapshotCorruptError(`torn or invalid batch at byte ${pos}`);
    const view = new RecordBatchView(buf.subarray(pos, pos + total), 0);
    if (view.magic !== 2) throw new SnapshotCorruptError(`batch at byte ${pos} has magic ${view.magic}`);
    if (!view.verifyCrc()) throw new SnapshotCorruptError(`CRC mismatch in the batch at byte ${pos}`);
    let batch;
    try {
      batch = decodeRecordBatch(view, { verifyCrc: false });
    } catch (e) {
      throw new SnapshotCorruptError(`undecodable batch at byte ${pos}: ${(e as Error).message}`);
    }
    if (view.isControl) {
      for (const r of batch.records) {
        const type = decodeControlRecordKey(r.key).type;
        if (type === ControlRecordType.SnapshotHeader) {
          if (header !== null || records.length > 0) throw new SnapshotCorruptError('misplaced snapshot header');
          const h = decodeMessage('SnapshotHeaderRecord', 0, r.value ?? Buffer.alloc(0));
          header = Number(h.lastContainedLogTimestamp);
        } else if (type === ControlRecordType.SnapshotFooter) {
          if (header === null) throw new SnapshotCorruptError('snapshot footer without a header');
          footer = true;
        }
        // Other control records (KRaft version / voters) carry nothing the image needs.
      }
    } else {
      if (header === null) throw new SnapshotCorruptError('metadata records before the snapshot header');
      for (const r of batch.records) {
        if (!r.value) continue;
        try {
          records.push(decodeMetadataRecord(r.value));
        } catch (e) {
          throw new SnapshotCorruptError(`undecodable metadata record: ${(e as Error).message}`);
        }
      }
    }
    pos += total;
  }
  if (header === null) throw new SnapshotCorruptError('snapshot has no header');
  if (!footer) throw new SnapshotCorruptError('snapshot has no footer (torn write?)');
  return { records, lastContainedLogTimestamp: header };
}

/**
 * Replaces the image's content with a snapshot's: afterwards image.offset = endOffset - 1 and image.epoch = the
 * snapshot epoch, so the reader continues at endOffset with lastFetchedEpoch = epoch.
 */
export function loadSnapshotIntoImage(image: MetadataImage, id: SnapshotId, records: MetadataRecord[]): void {
  image.reset();
  const at = id.endOffset - 1;
  for (const r of records) image.apply(r, at, id.epoch);
  image.advanceTo(at, id.epoch);
}
