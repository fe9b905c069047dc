import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';
import { apiVersionsHandler } from './api-versions.handler';
import { brokerRegistrationHandler } from './broker-registration.handler';
import { brokerHeartbeatHandler } from './broker-heartbeat.handler';
import { unregisterBrokerHandler } from './unregister-broker.handler';
import { allocateProducerIdsHandler } from './allocate-producer-ids.handler';
import { createTopicsHandler } from './create-topics.handler';
import { deleteTopicsHandler } from './delete-topics.handler';
import { createPartitionsHandler } from './create-partitions.handler';
import { alterConfigsHandler, incrementalAlterConfigsHandler } from './alter-configs.handler';
import { describeQuorumHandler } from './describe-quorum.handler';
import { describeClusterHandler } from './describe-cluster.handler';
import { fetchHandler } from './fetch.handler';
import { fetchSnapshotHandler } from './fetch-snapshot.handler';
import { alterPartitionHandler } from './alter-partition.handler';
import { electLeadersHandler } from './elect-leaders.handler';
import { beginQuorumEpochHandler, endQuorumEpochHandler, voteHandler } from './quorum.handlers';

/** Every API the controller listener serves (ApiVersions advertises exactly these). */
export function controllerHandlers(s: ControllerServices): ControllerApiHandler[] {
  return [
    apiVersionsHandler(s),
    fetchHandler(s),
    fetchSnapshotHandler(s),
    createTopicsHandler(s),
    deleteTopicsHandler(s),
    alterConfigsHandler(s),
    createPartitionsHandler(s),
    electLeadersHandler(s),
    incrementalAlterConfigsHandler(s),
    describeQuorumHandler(s),
    describeClusterHandler(s),
    brokerRegistrationHandler(s),
    brokerHeartbeatHandler(s),
    unregisterBrokerHandler(s),
    allocateProducerIdsHandler(s),
    alterPartitionHandler(s),
    voteHandler(s),
    beginQuorumEpochHandler(s),
    endQuorumEpochHandler(s),
  ];
}

export type { ControllerServices } from './services';
