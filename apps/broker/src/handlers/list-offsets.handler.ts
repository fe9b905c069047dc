// ListOffsets v0-7.
// Behaviour: timestamp -2 = earliest (log start offset), -1 = latest (high watermark, or the last stable offset
// for read_committed), -3 = max timestamp (v7+: the batch holding the largest timestamp), otherwise the first
// offset whose timestamp is >= the requested one (offset -1 / timestamp -1 when there is none).
// current_leader_epoch is checked (v4+). The returned leader epoch is the one of the batch at that offset.
// Version notes: v0 answers old_style_offsets ([offset]) instead of offset/timestamp.
import { ApiKey, ErrorCode } from '@runnel/protocol';
import type { ListOffsetsRequest, ListOffsetsResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { Partition } from '../partitions/partition';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

type Out = ListOffsetsResponse.ListOffsetsPartitionResponse;

function out(partitionIndex: number, errorCode: number): Out {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 7,

  async handle(ctx: RequestContext, req: ListOffsetsRequest): Promise<ListOffsetsResponse> {
    const { services } = ctx;
    const readCommitted = req.isolationLevel === 1;
    const topics: ListOffsetsResponse.ListOffsetsTopicResponse[] = [];
    for (const t of req.topics) {
      const partitions: Out[] = [];
      topics.push({ name: t.name, partitions });
      for (const rp of t.partitions) {
        const lookup = services.replicas.leaderFor(t.name, rp.partitionIndex);
        if (!lookup.partition) {
          partitions.push(out(rp.partitionIndex, lookup.errorCode));
          continue;
        }
        const p = lookup.partition;
        const cle = rp.currentLeaderEpoch;
        if (cle !== undefined && cle >= 0 && cle !== p.leaderEpoch) {
          partitions.push(out(rp.partitionIndex, cle < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH));
          continue;
        }
        try {
          partitions.push(await lookupOffset(p, rp, readCommitted, ctx.apiVersion));
        } catch (err) {
          services.log.warn(`ListOffsets on ${p.key} failed: ${(err as Error).message}`);
          partitions.push(out(rp.partitionIndex, ErrorCode.KAFKA_STORAGE_ERROR));
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};

async function lookupOffset(p: Partition, rp: ListOffsetsRequest.ListOffsetsPartition, readCommitted: boolean, version: number): Promise<Out> {
  const ts = Number(rp.timestamp);
  const r = out(rp.partitionIndex, 0);
  let offset = -1;
  let timestamp = -1;
  let epoch = -1;
  const log = p.log;
  if (ts === LATEST) {
    offset = readCommitted ? p.lastStableOffset : p.highWatermark;
    epoch = p.leaderEpoch;
  } else if (ts === EARLIEST) {
    offset = p.logStartOffset;
    epoch = epochAt(log, offset, p.leaderEpoch);
  } else if (ts === MAX_TIMESTAMP) {
    if (version < 7) return out(rp.partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
    const found = await log.offsetForTimestamp(MAX_TIMESTAMP);
    if (found) {
      offset = Number(found.offset);
      timestamp = Number(found.timestamp);
      epoch = epochAt(log, offset, p.leaderEpoch);
    }
  } else if (ts >= 0) {
    const found = await log.offsetForTimestamp(ts);
    if (found && Number(found.offset) < p.highWatermark) {
      offset = Number(found.offset);
      timestamp = Number(found.timestamp);
      epoch = epochAt(log, offset, p.leaderEpoch);
    }
  } else {
    return out(rp.partitionIndex, ErrorCode.INVALID_REQUEST);
  }
  if (version === 0) {
    r.oldStyleOffsets = offset >= 0 ? [BigInt(offset)] : [];
    return r;
  }
  r.offset = BigInt(offset);
  r.timestamp = BigInt(timestamp);
  r.leaderEpoch = offset >= 0 ? epoch : -1;
  return r;
}

function epochAt(log: Partition['log'], offset: number, fallback: number): number {
  const e = log.epochs.epochForOffset(offset);
  return e >= 0 ? e : fallback;
}
