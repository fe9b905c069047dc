// OffsetForLeaderEpoch v0-4.
// Behaviour: for each partition this broker leads, the end offset of the requested leader epoch (the start offset
// of the next higher epoch, or the log end offset for the current epoch) and the largest epoch <= the requested
// one; UNDEFINED_EPOCH (-1/-1) when the log holds no such epoch. current_leader_epoch (v2+) is checked.
// Version notes: leader_epoch in the response from v1; replica_id from v3 (ignored: no followers yet).
import { ApiKey, ErrorCode } from '@runnel/protocol';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';

type Out = OffsetForLeaderEpochResponse.EpochEndOffset;

function out(partition: number, errorCode: number): Out {
  return { errorCode, partition, leaderEpoch: -1, endOffset: -1n };
}

export const offsetForLeaderEpochHandler: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,

  async handle(ctx: RequestContext, req: OffsetForLeaderEpochRequest): Promise<OffsetForLeaderEpochResponse> {
    const { services } = ctx;
    const topics: OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult[] = [];
    for (const t of req.topics) {
      const partitions: Out[] = [];
      topics.push({ topic: t.topic, partitions });
      for (const rp of t.partitions) {
        const lookup = services.replicas.leaderFor(t.topic, rp.partition);
        if (!lookup.partition) {
          partitions.push(out(rp.partition, lookup.errorCode));
          continue;
        }
        const p = lookup.partition;
        const cle = rp.currentLeaderEpoch;
        if (cle !== undefined && cle >= 0 && cle !== p.leaderEpoch) {
          partitions.push(out(rp.partition, cle < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH));
          continue;
        }
        try {
          const r = p.log.endOffsetForEpoch(rp.leaderEpoch);
          partitions.push({ errorCode: 0, partition: rp.partition, leaderEpoch: r.epoch, endOffset: BigInt(r.endOffset) });
        } catch (err) {
          services.log.warn(`OffsetForLeaderEpoch on ${p.key} failed: ${(err as Error).message}`);
          partitions.push(out(rp.partition, ErrorCode.KAFKA_STORAGE_ERROR));
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
