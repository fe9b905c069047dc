// Every API this broker serves. ApiVersions advertises exactly this list (sorted by key in api/registry.ts).
// broker-core: ApiVersions, Metadata, Produce, Fetch, ListOffsets, InitProducerId, OffsetForLeaderEpoch.
// broker-admin: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs,
//               IncrementalAlterConfigs, DeleteRecords, DescribeCluster, DescribeLogDirs.
// Add one import and one entry per handler file.
import type { ApiHandler } from '../api/handler';
import { apiVersionsHandler } from './api-versions.handler';

export const HANDLERS: readonly ApiHandler[] = [
  apiVersionsHandler, // 18
];
