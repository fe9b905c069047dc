import type { KafkaConfig } from '@runnel/config';
import type { QuorumController } from '../controller/quorum-controller';
import type { BrokerLifecycle } from '../controller/broker-lifecycle';
import type { TopicOpContext } from '../controller/topic-ops';
import type { RaftClient } from '../raft/raft-client';

/** What the controller's API handlers work with. */
export interface ControllerServices {
  config: KafkaConfig;
  clusterId: string;
  controller: QuorumController;
  raft: RaftClient;
  brokers: BrokerLifecycle;
  topicOps: TopicOpContext;
  /** The voters' controller endpoints (DescribeQuorum v2 nodes, DescribeCluster for controllers). */
  voterEndpoints: { nodeId: number; host: string; port: number; listener: string }[];
  /** ApiVersions list, filled in once the listener exists. */
  apiVersions: () => { apiKey: number; minVersion: number; maxVersion: number }[];
}
