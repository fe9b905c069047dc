import { RecordBatchView, decodeMetadataRecord, decodeRecordBatch } from '@runnel/protocol';
import { MetadataImage } from './image';

/** The metadata log's topic-partition, as in KRaft. */
export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;

/**
 * Replay the v2 record batches of a `__cluster_metadata` Fetch (or log read) into `image`.
 * Batches (or records) at or below `image.offset` are skipped, so a reader may hand over the
 * batch that contains its fetch offset. Control batches (LeaderChangeMessage) only advance the
 * offset. Returns the number of metadata records applied. Throws on a corrupt batch.
 */
export function replayMetadataBatches(image: MetadataImage, records: Buffer | Buffer[] | null | undefined): number {
  if (!records) return 0;
  const bufs = Array.isArray(records) ? records : [records];
  let applied = 0;
  for (const buf of bufs) {
    let pos = 0;
    // A fetch may end with a partial batch (max bytes): stop at the first incomplete one.
    while (pos + 12 <= buf.length) {
      const batchLength = buf.readInt32BE(pos + 8);
      const total = batchLength + 12;
      if (batchLength < 49 || pos + total > buf.length) break;
      const slice = buf.subarray(pos, pos + total);
      pos += total;
      const view = new RecordBatchView(slice, 0);
      if (view.lastOffset <= image.offset) continue;
      const epoch = view.partitionLeaderEpoch;
      if (view.isControl) {
        image.advanceTo(view.lastOffset, epoch);
        continue;
      }
      const batch = decodeRecordBatch(slice);
      for (const r of batch.records) {
        const offset = Number(r.offset);
        if (offset <= image.offset) continue;
        if (!r.value) {
          image.advanceTo(offset, epoch);
          continue;
        }
        image.apply(decodeMetadataRecord(r.value), offset, epoch);
        applied++;
      }
      image.advanceTo(view.lastOffset, epoch);
    }
  }
  return applied;
}
