import { ApiKey, ErrorCode } from '@runnel/protocol';
import { METADATA_PARTITION, METADATA_TOPIC } from '@runnel/metadata';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';

/** Largest chunk we hand out per request, whatever the fetcher asks (a snapshot may be large). */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * FetchSnapshot (KIP-630): the leader serves a metadata snapshot by byte position, at most maxBytes per answer,
 * to a voter or observer that a Fetch answered with `snapshotId`. Only the leader serves, as in KRaft.
 */
export function fetchSnapshotHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.FetchSnapshot,
    minVersion: 0,
    maxVersion: 1,
    async handle(_ctx, req) {
      if (typeof req.clusterId === 'string' && req.clusterId !== '' && req.clusterId !== s.clusterId) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] };
      }
      const maxBytes = Math.max(1, Math.min(req.maxBytes ?? 0x7fffffff, MAX_CHUNK_BYTES));
      const topics = [];
      for (const t of req.topics ?? []) {
        const partitions = [];
        for (const p of t.partitions ?? []) partitions.push(await partitionAnswer(s, t.name, p, maxBytes));
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, errorCode: 0, topics };
    },
  };
}

async function partitionAnswer(s: ControllerServices, topic: string, p: any, maxBytes: number) {
  const raft = s.raft;
  const snapshotId = { endOffset: BigInt(p.snapshotId?.endOffset ?? -1n), epoch: p.snapshotId?.epoch ?? -1 };
  const answer = (errorCode: number, extra: Record<string, unknown> = {}) => ({
    index: p.partition,
    errorCode,
    snapshotId,
    currentLeader: { leaderId: raft.isLeader() ? raft.nodeId : raft.leaderId, leaderEpoch: raft.epoch },
    size: 0n,
    position: BigInt(p.position ?? 0n),
    unalignedRecords: Buffer.alloc(0),
    ...extra,
  });
  if (topic !== METADATA_TOPIC || p.partition !== METADATA_PARTITION) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const theirEpoch: number = p.currentLeaderEpoch ?? -1;
  if (theirEpoch >= 0 && theirEpoch < raft.epoch) return answer(ErrorCode.FENCED_LEADER_EPOCH);
  if (!raft.isLeader()) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (theirEpoch > raft.epoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH);
  const store = raft.snapshotStore;
  const id = { endOffset: Number(snapshotId.endOffset), epoch: snapshotId.epoch };
  const snap = store?.get(id);
  if (!store || !snap) return answer(ErrorCode.SNAPSHOT_NOT_FOUND);
  const position = Number(p.position ?? 0n);
  if (!Number.isSafeInteger(position) || position < 0 || position >= snap.size) {
    return answer(ErrorCode.POSITION_OUT_OF_RANGE, { size: BigInt(snap.size) });
  }
  const bytes = await store.readChunk(id, position, maxBytes);
  // Deleted by retention between the lookup and the read: the fetcher starts over with a newer snapshot.
  if (!bytes) return answer(ErrorCode.SNAPSHOT_NOT_FOUND);
  return answer(0, { size: BigInt(snap.size), unalignedRecords: bytes });
}
