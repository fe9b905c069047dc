import { ApiKey, ErrorCode } from '@runnel/protocol';
import { METADATA_PARTITION, METADATA_TOPIC } from '@runnel/metadata';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';

export function describeQuorumHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.DescribeQuorum,
    minVersion: 0,
    maxVersion: 2,
    async handle(_ctx, req) {
      const d = s.raft.describe();
      const replica = (p: { replicaId: number; logEndOffset: number; lastFetchTimestamp: number; lastCaughtUpTimestamp: number }) => ({
        replicaId: p.replicaId,
        replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
        logEndOffset: BigInt(p.logEndOffset),
        lastFetchTimestamp: BigInt(p.lastFetchTimestamp),
        lastCaughtUpTimestamp: BigInt(p.lastCaughtUpTimestamp),
      });
      const topics = (req.topics ?? []).map((t: any) => ({
        topicName: t.topicName,
        partitions: (t.partitions ?? []).map((p: any) => {
          if (t.topicName !== METADATA_TOPIC || p.partitionIndex !== METADATA_PARTITION) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: 'Only __cluster_metadata-0 has a quorum',
              leaderId: -1,
              leaderEpoch: -1,
              highWatermark: -1n,
              currentVoters: [],
              observers: [],
            };
          }
          if (!s.raft.isLeader()) {
            return {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
              errorMessage: 'This node is not the quorum leader',
              leaderId: d.leaderId,
              leaderEpoch: d.leaderEpoch,
              highWatermark: -1n,
              currentVoters: [],
              observers: [],
            };
          }
          return {
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            errorMessage: null,
            leaderId: d.leaderId,
            leaderEpoch: d.leaderEpoch,
            highWatermark: BigInt(d.highWatermark),
            currentVoters: d.voters.map(replica),
            observers: d.observers.map(replica),
          };
        }),
      }));
      return {
        errorCode: 0,
        errorMessage: null,
        topics,
        nodes: s.voterEndpoints.map((v) => ({ nodeId: v.nodeId, listeners: [{ name: v.listener, host: v.host, port: v.port }] })),
      };
    },
  };
}
