// DeleteRecords (key 21, v0-2): advance a partition's log start offset on its leader. Offset -1 means "up to
// the high watermark"; anything else outside [0, high watermark] is OFFSET_OUT_OF_RANGE. The answer carries the
// new low watermark (log start offset), -1 on error, as Kafka does.
import { ApiKey } from '@runnel/protocol';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '@runnel/protocol';
import { isInternalTopic } from '@runnel/metadata';
import { OffsetOutOfRangeError } from '@runnel/storage';
import type { ApiHandler, RequestContext } from '../api/handler';
import { Err } from '../admin/constants';
import { arr } from '../admin/common';

type PartitionResult = DeleteRecordsResponse.DeleteRecordsPartitionResult;

const INVALID_LOW_WATERMARK = -1n;

function toOffset(v: unknown): number | null {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return null;
}

const failed = (partitionIndex: number, errorCode: number): PartitionResult => ({ partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode }) as PartitionResult;

export async function deleteRecordsOnPartition(ctx: RequestContext, topic: string, partitionIndex: number, rawOffset: unknown): Promise<PartitionResult> {
  const { replicas, producers, log } = ctx.services;
  if (typeof topic !== 'string' || !Number.isInteger(partitionIndex)) return failed(partitionIndex, Err.UNKNOWN_TOPIC_OR_PARTITION);
  if (isInternalTopic(topic)) return failed(partitionIndex, Err.INVALID_TOPIC_EXCEPTION);
  const lookup = replicas.leaderFor(topic, partitionIndex);
  if (!lookup.partition) return failed(partitionIndex, lookup.errorCode);
  const p = lookup.partition;
  const requested = toOffset(rawOffset);
  const hwm = p.highWatermark;
  const target = requested === -1 ? hwm : requested;
  if (target === null || target < 0 || target > hwm) return failed(partitionIndex, Err.OFFSET_OUT_OF_RANGE);
  try {
    if (target > p.logStartOffset) {
      const newStart = await p.log.deleteRecordsBefore(target);
      const start = typeof newStart === 'number' ? newStart : p.logStartOffset;
      try {
        producers.forPartition(p.key).truncateHead(start);
      } catch (err) {
        log.warn(`DeleteRecords: trimming producer state of ${p.key} failed: ${String(err)}`);
      }
      p.poke();
    }
  } catch (err) {
    if (err instanceof OffsetOutOfRangeError) {
      return failed(partitionIndex, Err.OFFSET_OUT_OF_RANGE);
    }
    log.error(`DeleteRecords on ${p.key} up to ${target} failed`, err);
    return failed(partitionIndex, Err.KAFKA_STORAGE_ERROR);
  }
  return { partitionIndex, lowWatermark: BigInt(p.logStartOffset), errorCode: 0 } as PartitionResult;
}

export async function deleteRecords(ctx: RequestContext, req: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const topics: DeleteRecordsResponse.DeleteRecordsTopicResult[] = [];
  for (const t of arr(req.topics)) {
    const partitions: PartitionResult[] = [];
    for (const p of arr(t?.partitions)) {
      partitions.push(await deleteRecordsOnPartition(ctx, t.name, p?.partitionIndex, p?.offset));
    }
    topics.push({ name: typeof t?.name === 'string' ? t.name : '', partitions } as DeleteRecordsResponse.DeleteRecordsTopicResult);
  }
  return { throttleTimeMs: 0, topics } as DeleteRecordsResponse;
}

export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle: (ctx, req) => deleteRecords(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: arr(req?.topics).map((t) => ({
        name: typeof t?.name === 'string' ? t.name : '',
        partitions: arr(t?.partitions).map((p) => failed(p?.partitionIndex ?? -1, errorCode)),
      })),
    } as DeleteRecordsResponse;
  },
};
