import type { MetadataImage, MetadataRecord, PartitionImage } from '@runnel/metadata';
import { ErrorCode } from '@runnel/protocol';
import { RECOVERING } from './elections';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface AlterPartitionRequestBody {
  brokerId: number;
  brokerEpoch: bigint | number;
  topics: {
    topicName?: string;
    topicId?: string;
    partitions: {
      partitionIndex: number;
      leaderEpoch: number;
      newIsr?: number[];
      newIsrWithEpochs?: { brokerId: number; brokerEpoch: bigint | number }[];
      leaderRecoveryState?: number;
      partitionEpoch: number;
    }[];
  }[];
}

export interface AlterPartitionPartitionResult {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

export interface AlterPartitionResponseBody {
  throttleTimeMs: number;
  errorCode: number;
  topics: { topicName: string; topicId: string; partitions: AlterPartitionPartitionResult[] }[];
}

const failed = (partitionIndex: number, errorCode: number): AlterPartitionPartitionResult => ({
  partitionIndex,
  errorCode,
  leaderId: -1,
  leaderEpoch: -1,
  isr: [],
  leaderRecoveryState: 0,
  partitionEpoch: -1,
});

const stateOf = (p: PartitionImage): AlterPartitionPartitionResult => ({
  partitionIndex: p.partition,
  errorCode: 0,
  leaderId: p.leader,
  leaderEpoch: p.leaderEpoch,
  isr: [...p.isr],
  leaderRecoveryState: p.leaderRecoveryState,
  partitionEpoch: p.partitionEpoch,
});

/**
 * AlterPartition (KIP-497, KIP-903 for v3), validated like Kafka's KRaft controller. The request
 * comes from a partition leader that wants a new ISR; one PartitionChangeRecord per accepted change
 * carries only the ISR (and the leader recovery state when it ends recovery), so the leader epoch
 * stays and replay bumps the partition epoch. The answer is the state the records will produce.
 */
export function alterPartition(
  image: MetadataImage,
  req: AlterPartitionRequestBody,
  version: number,
): { records: MetadataRecord[]; result: AlterPartitionResponseBody } {
  const records: MetadataRecord[] = [];
  const requester = image.brokers.get(req.brokerId);
  if (!requester || requester.epoch !== Number(req.brokerEpoch)) {
    return { records, result: { throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] } };
  }
  // Partitions changed earlier in this request: a repeated entry must see that change, not the image.
  const pending = new Map<string, PartitionImage>();
  const topics: AlterPartitionResponseBody['topics'] = [];
  for (const t of req.topics ?? []) {
    const topic = version >= 2 ? (t.topicId && t.topicId !== ZERO_UUID ? image.topicById(t.topicId) : undefined) : image.topic(t.topicName ?? '');
    const partitions: AlterPartitionPartitionResult[] = [];
    topics.push({ topicName: t.topicName ?? '', topicId: t.topicId ?? ZERO_UUID, partitions });
    if (!topic) {
      const code = version >= 2 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      for (const pd of t.partitions ?? []) partitions.push(failed(pd.partitionIndex, code));
      continue;
    }
    for (const pd of t.partitions ?? []) {
      const key = `${topic.topicId}:${pd.partitionIndex}`;
      const p = pending.get(key) ?? topic.partitions[pd.partitionIndex];
      if (!p) {
        partitions.push(failed(pd.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const members =
        version >= 3
          ? (pd.newIsrWithEpochs ?? []).map((m) => ({ id: m.brokerId, epoch: Number(m.brokerEpoch) }))
          : (pd.newIsr ?? []).map((id) => ({ id, epoch: -1 }));
      const requestedLrs = version >= 1 ? (pd.leaderRecoveryState ?? 0) : 0;
      const error = validate(image, req.brokerId, p, pd.leaderEpoch, pd.partitionEpoch, members, requestedLrs, version);
      if (error !== 0) {
        partitions.push(failed(pd.partitionIndex, error));
        continue;
      }
      const newIsr = members.map((m) => m.id);
      const isrChanged = newIsr.length !== p.isr.length || newIsr.some((id, i) => p.isr[i] !== id);
      const lrsChanged = requestedLrs !== p.leaderRecoveryState;
      if (!isrChanged && !lrsChanged) {
        partitions.push(stateOf(p));
        continue;
      }
      const data: Record<string, unknown> = { partitionId: p.partition, topicId: topic.topicId, isr: newIsr };
      if (lrsChanged) data.leaderRecoveryState = requestedLrs;
      records.push({ name: 'PartitionChangeRecord', version: 0, data });
      const next: PartitionImage = { ...p, isr: newIsr, leaderRecoveryState: requestedLrs, partitionEpoch: p.partitionEpoch + 1 };
      pending.set(key, next);
      partitions.push(stateOf(next));
    }
  }
  return { records, result: { throttleTimeMs: 0, errorCode: 0, topics } };
}

function validate(
  image: MetadataImage,
  brokerId: number,
  p: PartitionImage,
  leaderEpoch: number,
  partitionEpoch: number,
  members: { id: number; epoch: number }[],
  requestedLrs: number,
  version: number,
): number {
  // Epochs ahead of ours mean this controller is behind (no longer active): let the leader find the new one.
  if (leaderEpoch > p.leaderEpoch || partitionEpoch > p.partitionEpoch) return ErrorCode.NOT_CONTROLLER;
  if (brokerId !== p.leader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (leaderEpoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (partitionEpoch < p.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  const ids = members.map((m) => m.id);
  if (new Set(ids).size !== ids.length || ids.some((id) => !p.replicas.includes(id)) || !ids.includes(p.leader)) {
    return ErrorCode.INVALID_REQUEST;
  }
  // A leader elected uncleanly stays alone in the ISR until it has recovered; recovery never restarts.
  if (requestedLrs === RECOVERING && ids.length > 1) return ErrorCode.INVALID_REQUEST;
  if (requestedLrs === RECOVERING && p.leaderRecoveryState !== RECOVERING) return ErrorCode.INVALID_REQUEST;
  if (requestedLrs !== 0 && requestedLrs !== RECOVERING) return ErrorCode.INVALID_REQUEST;
  const ineligible = members.some((m) => {
    const b = image.brokers.get(m.id);
    return !b || b.fenced || b.inControlledShutdown || (m.epoch !== -1 && m.epoch !== b.epoch);
  });
  // Older leaders do not know INELIGIBLE_REPLICA; OPERATION_NOT_ATTEMPTED makes them retry later too.
  if (ineligible) return version >= 3 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED;
  return 0;
}
