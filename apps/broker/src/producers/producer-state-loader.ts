// Rebuilds a partition's idempotent-producer state from its log by walking batch headers (no record decoding),
// so a restarted broker still recognises retried batches and sequence gaps.
import { RecordBatchView } from '@runnel/protocol';
import type { Partition } from '../partitions/partition';
import type { PartitionProducerState } from './producer-state';

const READ_CHUNK = 4 * 1024 * 1024;
const HEADER = 61;

/**
 * How much of the log tail is scanned. Producers whose last batch is older than that are treated like expired
 * ones (any sequence is accepted), which bounds the first idempotent write after a restart on a huge log.
 */
export const PRODUCER_SCAN_BYTES = 256 * 1024 * 1024;

export async function loadProducerState(partition: Partition, state: PartitionProducerState, scanBytes = PRODUCER_SCAN_BYTES): Promise<void> {
  if (state.loaded) return;
  const log = partition.log;
  let offset: number = scanStart(log, scanBytes);
  const end: number = log.logEndOffset;
  while (offset < end) {
    const res = await log.read(offset, READ_CHUNK, { minOneBatch: true });
    const chunks: Buffer[] = res.chunks;
    let next = offset;
    for (const buf of chunks) {
      let pos = 0;
      while (pos + HEADER <= buf.length) {
        const view = new RecordBatchView(buf, pos);
        const total = view.totalSize;
        if (total < HEADER || pos + total > buf.length) break;
        const last = view.lastOffset;
        if (last >= offset && view.producerId >= 0 && !view.isControl) {
          state.record(
            { producerId: view.producerId, producerEpoch: view.producerEpoch, baseSequence: view.baseSequence, lastOffsetDelta: view.lastOffsetDelta },
            view.baseOffset,
            view.maxTimestamp,
          );
        }
        if (last + 1 > next) next = last + 1;
        pos += total;
      }
    }
    res.release();
    if (next <= offset) break; // nothing readable (e.g. a gap): stop rather than spin
    offset = next;
  }
  state.loaded = true;
}

/** Base offset of the oldest segment within the last `scanBytes` of the log (the log start if it is smaller). */
function scanStart(log: Partition['log'], scanBytes: number): number {
  const segs = log.segments;
  let bytes = 0;
  let start = log.logStartOffset;
  for (let i = segs.length - 1; i >= 0; i--) {
    bytes += segs[i].size;
    if (bytes > scanBytes && i < segs.length - 1) break;
    start = Math.max(segs[i].baseOffset, log.logStartOffset);
  }
  return start;
}
