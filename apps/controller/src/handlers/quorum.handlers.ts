import { ApiKey, ErrorCode } from '@runnel/protocol';
import { METADATA_PARTITION, METADATA_TOPIC } from '@runnel/metadata';
import { ControllerApiHandler } from '../network/handler';
import { PRE_VOTE_MARKER, QuorumAnswer } from '../raft/raft-client';
import { ControllerServices } from './services';

/** Raft RPCs between voters (KIP-595): one partition, __cluster_metadata-0. */

function isMetadataPartition(t: any, p: any): boolean {
  return t?.topicName === METADATA_TOPIC && p?.partitionIndex === METADATA_PARTITION;
}

function partitionAnswer(p: any, a: QuorumAnswer, extra: Record<string, unknown> = {}) {
  return { partitionIndex: p?.partitionIndex ?? 0, errorCode: a.errorCode, leaderId: a.leaderId, leaderEpoch: a.leaderEpoch, ...extra };
}

function unknownPartition(s: ControllerServices, p: any, extra: Record<string, unknown> = {}) {
  return partitionAnswer(p, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderId: s.raft.leaderId, leaderEpoch: s.raft.epoch }, extra);
}

/** A test-isolated node answers nothing useful to its peers (network partition stand-in). */
function isolatedAnswer(s: ControllerServices): QuorumAnswer {
  return { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: s.raft.epoch };
}

export function voteHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.Vote,
    minVersion: 0,
    maxVersion: 1,
    async handle(_ctx, req) {
      const topics = [];
      for (const t of req.topics ?? []) {
        const partitions = [];
        for (const p of t.partitions ?? []) {
          if (!isMetadataPartition(t, p)) {
            partitions.push(unknownPartition(s, p, { voteGranted: false }));
            continue;
          }
          if (s.raft.isolated) {
            partitions.push(partitionAnswer(p, isolatedAnswer(s), { voteGranted: false }));
            continue;
          }
          const a = await s.raft.handleVote({
            clusterId: req.clusterId ?? null,
            candidateId: p.candidateId,
            candidateEpoch: p.candidateEpoch,
            lastOffsetEpoch: p.lastOffsetEpoch,
            lastOffset: Number(p.lastOffset),
            preVote: p.candidateDirectoryId === PRE_VOTE_MARKER,
          });
          partitions.push(partitionAnswer(p, a, { voteGranted: a.voteGranted }));
        }
        topics.push({ topicName: t.topicName, partitions });
      }
      return { errorCode: 0, topics };
    },
  };
}

export function beginQuorumEpochHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.BeginQuorumEpoch,
    minVersion: 0,
    maxVersion: 1,
    async handle(_ctx, req) {
      const topics = (req.topics ?? []).map((t: any) => ({
        topicName: t.topicName,
        partitions: (t.partitions ?? []).map((p: any) => {
          if (!isMetadataPartition(t, p)) return unknownPartition(s, p);
          if (s.raft.isolated) return partitionAnswer(p, isolatedAnswer(s));
          return partitionAnswer(p, s.raft.handleBeginQuorumEpoch(req.clusterId ?? null, p.leaderId, p.leaderEpoch));
        }),
      }));
      return { errorCode: 0, topics };
    },
  };
}

export function endQuorumEpochHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.EndQuorumEpoch,
    minVersion: 0,
    maxVersion: 1,
    async handle(ctx, req) {
      const topics = (req.topics ?? []).map((t: any) => ({
        topicName: t.topicName,
        partitions: (t.partitions ?? []).map((p: any) => {
          if (!isMetadataPartition(t, p)) return unknownPartition(s, p);
          if (s.raft.isolated) return partitionAnswer(p, isolatedAnswer(s));
          const preferred: number[] =
            ctx.header.apiVersion >= 1
              ? (p.preferredCandidates ?? []).map((c: any) => c.candidateId)
              : (p.preferredSuccessors ?? []);
          return partitionAnswer(p, s.raft.handleEndQuorumEpoch(req.clusterId ?? null, p.leaderId, p.leaderEpoch, preferred));
        }),
      }));
      return { errorCode: 0, topics };
    },
  };
}
