// Every API this broker serves. ApiVersions advertises exactly this list (sorted by key in api/registry.ts).
// broker-core: ApiVersions, Metadata, Produce, Fetch, ListOffsets, InitProducerId, OffsetForLeaderEpoch.
// broker-admin: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs,
//               IncrementalAlterConfigs, DeleteRecords, DescribeCluster, DescribeLogDirs, ElectLeaders.
// Add one import and one entry per handler file.
import type { ApiHandler } from '../api/handler';
import { apiVersionsHandler } from './api-versions.handler';
import { alterConfigsHandler } from './alter-configs.handler';
import { createPartitionsHandler } from './create-partitions.handler';
import { createTopicsHandler } from './create-topics.handler';
import { deleteRecordsHandler } from './delete-records.handler';
import { deleteTopicsHandler } from './delete-topics.handler';
import { describeClusterHandler } from './describe-cluster.handler';
import { describeConfigsHandler } from './describe-configs.handler';
import { describeLogDirsHandler } from './describe-log-dirs.handler';
import { electLeadersHandler } from './elect-leaders.handler';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.handler';
import { fetchHandler } from './fetch.handler';
import { initProducerIdHandler } from './init-producer-id.handler';
import { listOffsetsHandler } from './list-offsets.handler';
import { metadataHandler } from './metadata.handler';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.handler';
import { produceHandler } from './produce.handler';
// groups
import { findCoordinatorHandler } from './find-coordinator.handler';
import { joinGroupHandler } from './join-group.handler';
import { syncGroupHandler } from './sync-group.handler';
import { heartbeatHandler } from './heartbeat.handler';
import { leaveGroupHandler } from './leave-group.handler';
import { offsetCommitHandler } from './offset-commit.handler';
import { offsetFetchHandler } from './offset-fetch.handler';
import { describeGroupsHandler } from './describe-groups.handler';
import { listGroupsHandler } from './list-groups.handler';
import { deleteGroupsHandler } from './delete-groups.handler';
import { offsetDeleteHandler } from './offset-delete.handler';

export const HANDLERS: readonly ApiHandler[] = [
  produceHandler, // 0
  fetchHandler, // 1
  listOffsetsHandler, // 2
  metadataHandler, // 3
  apiVersionsHandler, // 18
  initProducerIdHandler, // 22
  offsetForLeaderEpochHandler, // 23
  // broker-admin
  createTopicsHandler, // 19
  deleteTopicsHandler, // 20
  deleteRecordsHandler, // 21
  describeConfigsHandler, // 32
  alterConfigsHandler, // 33
  describeLogDirsHandler, // 35
  createPartitionsHandler, // 37
  electLeadersHandler, // 43
  incrementalAlterConfigsHandler, // 44
  describeClusterHandler, // 60
  // groups
  offsetCommitHandler, // 8
  offsetFetchHandler, // 9
  findCoordinatorHandler, // 10
  joinGroupHandler, // 11
  heartbeatHandler, // 12
  leaveGroupHandler, // 13
  syncGroupHandler, // 14
  describeGroupsHandler, // 15
  listGroupsHandler, // 16
  deleteGroupsHandler, // 42
  offsetDeleteHandler, // 47
];
