import { ApiKey, ErrorCode } from '@runnel/protocol';
import { METADATA_PARTITION, METADATA_TOPIC } from '@runnel/metadata';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';

/** Kafka's fixed topic id of __cluster_metadata (Uuid.METADATA_TOPIC_ID = 0:1). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
/** Longest long-poll we honour, whatever the fetcher asks. */
const MAX_WAIT_CAP_MS = 30_000;

/**
 * Fetch of the metadata log, the way KRaft observers (brokers) read it: records up to the high
 * watermark, long-polling when there is nothing new, with the last-fetched-epoch divergence check.
 * Any other topic-partition is unknown on the controller listener.
 */
export function fetchHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.Fetch,
    minVersion: 4,
    maxVersion: 17,
    async handle(ctx, req) {
      const v = ctx.header.apiVersion;
      const replicaId: number = v >= 15 ? (req.replicaState?.replicaId ?? -1) : (req.replicaId ?? -1);
      const maxWait = Math.min(Math.max(0, req.maxWaitMs ?? 0), MAX_WAIT_CAP_MS);
      const maxBytes = Math.max(1, Math.min(req.maxBytes ?? 0x7fffffff, 64 * 1024 * 1024));
      const deadline = Date.now() + maxWait;
      // A fetcher formatted for another cluster must not replay our metadata (KRaft checks this too).
      if (typeof req.clusterId === 'string' && req.clusterId !== '' && req.clusterId !== s.clusterId) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, sessionId: 0, responses: [] };
      }

      const isMetadata = (t: any, p: any) =>
        (v >= 13 ? t.topicId === METADATA_TOPIC_ID : t.topic === METADATA_TOPIC) && p.partition === METADATA_PARTITION;

      // Long-poll: wait for the high watermark to pass the first metadata fetch offset.
      const first = (req.topics ?? []).flatMap((t: any) => (t.partitions ?? []).filter((p: any) => isMetadata(t, p)))[0];
      if (first && maxWait > 0 && s.raft.isLeader()) {
        const offset = Number(first.fetchOffset);
        if (offset >= s.raft.highWatermark && offset <= s.raft.logEndOffset) {
          await s.raft.waitForHighWatermark(offset + 1, deadline - Date.now());
        }
      }

      const responses = [];
      for (const t of req.topics ?? []) {
        const partitions = [];
        for (const p of t.partitions ?? []) {
          partitions.push(await partitionResponse(s, v, replicaId, t, p, isMetadata(t, p), maxBytes));
        }
        responses.push({ topic: t.topic, topicId: t.topicId, partitions });
      }
      return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
    },
  };
}

async function partitionResponse(s: ControllerServices, v: number, replicaId: number, _t: any, p: any, isMetadata: boolean, maxBytes: number) {
  const raft = s.raft;
  const base = {
    partitionIndex: p.partition,
    errorCode: 0,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null as Buffer | Buffer[] | null,
    currentLeader: { leaderId: raft.isLeader() ? raft.nodeId : raft.leaderId, leaderEpoch: raft.epoch },
  };
  if (!isMetadata) {
    return { ...base, errorCode: v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  if (!raft.isLeader() || raft.highWatermark < 0) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const hw = raft.highWatermark;
  const offsets = { highWatermark: BigInt(hw), lastStableOffset: BigInt(hw), logStartOffset: BigInt(raft.logStartOffset) };
  const fetchOffset = Number(p.fetchOffset);
  if (!Number.isSafeInteger(fetchOffset) || fetchOffset < raft.logStartOffset || fetchOffset > raft.logEndOffset) {
    return { ...base, ...offsets, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  }
  // KIP-595 divergence check: the fetcher's last epoch must end at or after its fetch offset here.
  const lastEpoch: number = v >= 12 ? (p.lastFetchedEpoch ?? -1) : -1;
  if (lastEpoch >= 0 && fetchOffset > 0) {
    const end = await raft.endOffsetForEpoch(lastEpoch);
    if (!end || end.epoch !== lastEpoch || end.endOffset < fetchOffset) {
      return {
        ...base,
        ...offsets,
        divergingEpoch: { epoch: end?.epoch ?? -1, endOffset: BigInt(end?.endOffset ?? -1) },
      };
    }
  }
  raft.recordFetch(replicaId, fetchOffset);
  const limit = Math.max(1, Math.min(p.partitionMaxBytes ?? maxBytes, maxBytes));
  const read = await raft.readCommitted(fetchOffset, limit);
  return { ...base, ...offsets, records: read.chunks.length > 0 ? read.chunks : null };
}
