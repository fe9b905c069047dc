import { ApiKey, ErrorCode } from '@runnel/protocol';
import { METADATA_PARTITION, METADATA_TOPIC, SnapshotId } from '@runnel/metadata';
import type { RaftReadResult } from '../raft/raft-log';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';

export { METADATA_TOPIC_ID } from '../raft/raft-client';
import { METADATA_TOPIC_ID } from '../raft/raft-client';
/** Longest long-poll we honour, whatever the fetcher asks. */
const MAX_WAIT_CAP_MS = 30_000;

/**
 * Fetch of the metadata log, the way KRaft observers (brokers) read it: records up to the high
 * watermark, long-polling when there is nothing new, with the last-fetched-epoch divergence check, and a
 * `snapshotId` (v12+) for a fetcher whose offset the log no longer holds.
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

      // Another voter replicating (KIP-595): served up to the log end, counted toward the high watermark.
      const voter = replicaId >= 0 && replicaId !== s.raft.nodeId && s.raft.isVoter(replicaId);
      // Long-poll: wait for the high watermark to pass the first metadata fetch offset.
      const first = (req.topics ?? []).flatMap((t: any) => (t.partitions ?? []).filter((p: any) => isMetadata(t, p)))[0];
      if (!voter && first && maxWait > 0 && s.raft.isLeader()) {
        const offset = Number(first.fetchOffset);
        if (offset >= s.raft.highWatermark && offset <= s.raft.logEndOffset) {
          await s.raft.waitForHighWatermark(offset + 1, deadline - Date.now());
        }
      }

      const responses = [];
      for (const t of req.topics ?? []) {
        const partitions = [];
        for (const p of t.partitions ?? []) {
          partitions.push(
            voter && isMetadata(t, p)
              ? await voterPartitionResponse(s, v, replicaId, p, maxBytes, deadline)
              : await partitionResponse(s, v, replicaId, t, p, isMetadata(t, p), maxBytes),
          );
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
  const lastEpoch: number = v >= 12 ? (p.lastFetchedEpoch ?? -1) : -1;
  // Below the log start (or diverged before it) the fetcher loads the latest snapshot instead (KIP-630).
  const snapshot = v >= 12 && Number.isSafeInteger(fetchOffset) ? raft.snapshotForFetch(fetchOffset, lastEpoch) : null;
  if (snapshot) return { ...base, ...offsets, snapshotId: wireSnapshotId(snapshot) };
  if (!Number.isSafeInteger(fetchOffset) || fetchOffset < raft.logStartOffset || fetchOffset > raft.logEndOffset) {
    return { ...base, ...offsets, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  }
  // KIP-595 divergence check: the fetcher's last epoch must end at or after its fetch offset here.
  if (lastEpoch >= 0 && fetchOffset > 0) {
    const end = await raft.endOffsetForEpoch(lastEpoch);
    if (!end || end.epoch !== lastEpoch || end.endOffset < fetchOffset) {
      const latest = raft.latestSnapshot();
      if (latest && v >= 12 && (end?.endOffset ?? -1) < raft.logStartOffset) return { ...base, ...offsets, snapshotId: wireSnapshotId(latest) };
      return {
        ...base,
        ...offsets,
        divergingEpoch: { epoch: end?.epoch ?? -1, endOffset: BigInt(end?.endOffset ?? -1) },
      };
    }
  }
  raft.recordFetch(replicaId, fetchOffset);
  const limit = Math.max(1, Math.min(p.partitionMaxBytes ?? maxBytes, maxBytes));
  const read = await readOrSnapshot(s, v, () => raft.readCommitted(fetchOffset, limit), fetchOffset);
  if ('snapshotId' in read) return { ...base, ...offsets, snapshotId: read.snapshotId };
  return { ...base, ...offsets, records: read.chunks.length > 0 ? read.chunks : null };
}

function wireSnapshotId(id: SnapshotId) {
  return { endOffset: BigInt(id.endOffset), epoch: id.epoch };
}

/** A read that lost a race with the log start moving up answers with the snapshot that replaced it. */
async function readOrSnapshot(s: ControllerServices, v: number, read: () => Promise<RaftReadResult>, fetchOffset: number) {
  try {
    return await read();
  } catch (e) {
    const latest = s.raft.latestSnapshot();
    if (v >= 12 && latest && fetchOffset < s.raft.logStartOffset) return { snapshotId: wireSnapshotId(latest) };
    throw e;
  }
}

/**
 * A voter's fetch: leader epoch fencing, the divergence check, then progress recorded (this may
 * advance the high watermark) and a long poll until there is new data or a newer high watermark.
 */
async function voterPartitionResponse(s: ControllerServices, v: number, replicaId: number, p: any, maxBytes: number, deadline: number) {
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
  if (raft.isolated) return { ...base, errorCode: ErrorCode.BROKER_NOT_AVAILABLE, currentLeader: { leaderId: -1, leaderEpoch: raft.epoch } };
  const theirEpoch: number = p.currentLeaderEpoch ?? -1;
  if (theirEpoch >= 0 && theirEpoch < raft.epoch) return { ...base, errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  if (!raft.isLeader()) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (theirEpoch > raft.epoch) return { ...base, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
  const fetchOffset = Number(p.fetchOffset);
  const offsets = () => {
    const hw = Math.max(0, raft.hwForVoter(replicaId));
    return { highWatermark: BigInt(hw), lastStableOffset: BigInt(hw), logStartOffset: BigInt(raft.logStartOffset) };
  };
  const lastEpoch: number = v >= 12 ? (p.lastFetchedEpoch ?? -1) : -1;
  // A voter behind the log start (or diverged before it) installs the latest snapshot, then fetches on from it.
  const snapshot = v >= 12 && Number.isSafeInteger(fetchOffset) ? raft.snapshotForFetch(fetchOffset, lastEpoch) : null;
  if (snapshot) {
    raft.recordFetch(replicaId, fetchOffset);
    return { ...base, ...offsets(), snapshotId: wireSnapshotId(snapshot) };
  }
  if (!Number.isSafeInteger(fetchOffset) || fetchOffset < raft.logStartOffset) {
    return { ...base, ...offsets(), errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  }
  // The follower's tail may be ahead of ours (entries of a deposed leader) or of another epoch.
  if (fetchOffset > 0 && (fetchOffset > raft.logEndOffset || lastEpoch >= 0)) {
    const end = await raft.endOffsetForEpoch(lastEpoch >= 0 ? lastEpoch : 0x7fffffff);
    if (!end || end.epoch !== lastEpoch || end.endOffset < fetchOffset) {
      const latest = raft.latestSnapshot();
      if (latest && v >= 12 && (end?.endOffset ?? -1) < raft.logStartOffset) return { ...base, ...offsets(), snapshotId: wireSnapshotId(latest) };
      return {
        ...base,
        ...offsets(),
        divergingEpoch: { epoch: end?.epoch ?? -1, endOffset: BigInt(Math.min(end?.endOffset ?? 0, raft.logEndOffset)) },
      };
    }
  }
  await raft.voterFetchWait(replicaId, fetchOffset, deadline - Date.now());
  // A partition (test hook) that began during the long poll drops this answer too.
  if (raft.isolated) return { ...base, errorCode: ErrorCode.BROKER_NOT_AVAILABLE, currentLeader: { leaderId: -1, leaderEpoch: raft.epoch } };
  if (!raft.isLeader()) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: raft.leaderId, leaderEpoch: raft.epoch } };
  const limit = Math.max(1, Math.min(p.partitionMaxBytes ?? maxBytes, maxBytes));
  const read = await readOrSnapshot(s, v, () => raft.readUncommitted(fetchOffset, limit), fetchOffset);
  if ('snapshotId' in read) return { ...base, ...offsets(), snapshotId: read.snapshotId };
  return { ...base, ...offsets(), records: read.chunks.length > 0 ? read.chunks : null };
}
