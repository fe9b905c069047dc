// Metadata v0-12.
// Behaviour: brokers = registered, unfenced brokers with an endpoint on the listener the request came in on;
// controller_id = this broker when alive (as KRaft brokers do, clients send controller-bound admin requests to a
// broker, which forwards them). Topics: null (v1+) or empty (v0) = all topics; v10+ may name topics by id.
// A missing topic is auto-created through the controller when auto.create.topics.enable is true and the request
// allows it (always for v0-3, allow_auto_topic_creation from v4), and the answer waits (bounded) for it to appear,
// falling back to LEADER_NOT_AVAILABLE so clients retry. Invalid names get INVALID_TOPIC_EXCEPTION, missing topics
// otherwise UNKNOWN_TOPIC_OR_PARTITION. Partitions without a live leader carry LEADER_NOT_AVAILABLE.
// Version notes: authorized-operations fields are answered with INT32_MIN ("not computed").
import { ApiKey, ErrorCode } from '@runnel/protocol';
import type { MetadataRequest, MetadataResponse } from '@runnel/protocol';
import { isInternalTopic, topicNameError } from '@runnel/metadata';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { BrokerServices } from '../services';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const NOT_COMPUTED = -2147483648;
/** How long a Metadata request waits for an auto-created topic to show up before answering LEADER_NOT_AVAILABLE. */
const AUTO_CREATE_WAIT_MS = 3_000;

type TopicOut = MetadataResponse.MetadataResponseTopic;

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,

  async handle(ctx: RequestContext, req: MetadataRequest): Promise<MetadataResponse> {
    const { services } = ctx;
    const v = ctx.apiVersion;
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    const allowAutoCreate = v < 4 ? true : req.allowAutoTopicCreation;

    let topics: TopicOut[];
    if (all) {
      topics = services.metadata.topicNames().sort().map((n) => describeTopic(services, n)!);
    } else {
      const seen = new Set<string>();
      const missing: string[] = [];
      const requested: Array<{ name: string | null; topicId: string }> = [];
      for (const t of req.topics!) {
        const key = t.name ?? `id:${t.topicId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        requested.push({ name: t.name, topicId: t.topicId });
        if (t.name !== null && !services.metadata.topic(t.name) && topicNameError(t.name) === null) missing.push(t.name);
      }
      const autoCreate = allowAutoCreate && services.config.getBoolean('auto.create.topics.enable');
      const creating = new Map<string, number>();
      if (autoCreate && missing.length > 0) {
        for (const [name, code] of await autoCreateTopics(services, missing.filter((n) => !isInternalTopic(n)))) creating.set(name, code);
      }
      topics = requested.map((t) => {
        if (t.name === null) {
          const byId = t.topicId && t.topicId !== ZERO_UUID ? services.metadata.topicById(t.topicId) : undefined;
          if (!byId) return errorTopic(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
          return describeTopic(services, byId.name)!;
        }
        const nameError = topicNameError(t.name);
        if (nameError !== null) return errorTopic(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
        const found = describeTopic(services, t.name);
        if (found) return found;
        if (creating.has(t.name)) return errorTopic(t.name, ZERO_UUID, creating.get(t.name)!);
        return errorTopic(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      });
    }

    const brokers: MetadataResponse.MetadataResponseBroker[] = [];
    for (const b of services.metadata.aliveBrokers()) {
      const ep = b.endpoints.find((e) => e.name === ctx.listener);
      if (ep) brokers.push({ nodeId: b.id, host: ep.host, port: ep.port, rack: b.rack });
    }
    const controllerId = brokers.some((b) => b.nodeId === services.nodeId) ? services.nodeId : (brokers[0]?.nodeId ?? -1);
    return {
      throttleTimeMs: 0,
      brokers,
      clusterId: services.metadata.clusterId,
      controllerId,
      topics,
      clusterAuthorizedOperations: NOT_COMPUTED,
    };
  },
};

function errorTopic(name: string | null, topicId: string, errorCode: number): TopicOut {
  return {
    errorCode,
    name,
    topicId,
    isInternal: name !== null && isInternalTopic(name),
    partitions: [],
    topicAuthorizedOperations: NOT_COMPUTED,
  };
}

function describeTopic(services: BrokerServices, name: string): TopicOut | undefined {
  const t = services.metadata.topic(name);
  if (!t) return undefined;
  const partitions: MetadataResponse.MetadataResponsePartition[] = [];
  for (const p of t.partitions) {
    if (!p) continue;
    const alive = (id: number): boolean => {
      const b = services.metadata.broker(id);
      return b !== undefined && !b.fenced;
    };
    const leaderAlive = p.leader >= 0 && alive(p.leader);
    partitions.push({
      errorCode: leaderAlive ? 0 : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: p.partition,
      leaderId: leaderAlive ? p.leader : -1,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: p.replicas.filter((id) => !alive(id)),
    });
  }
  return {
    errorCode: 0,
    name,
    topicId: t.topicId,
    isInternal: isInternalTopic(name),
    partitions,
    topicAuthorizedOperations: NOT_COMPUTED,
  };
}

/** Requests being created right now, so concurrent Metadata calls share one CreateTopics. */
const inFlight = new Map<string, Promise<number>>();

/**
 * Ask the controller to create `names` with the broker's defaults and wait (bounded) until they are in the local
 * image. Returns the error code each topic should carry if it is still not visible (LEADER_NOT_AVAILABLE while
 * being created, or the controller's error, e.g. INVALID_REPLICATION_FACTOR).
 */
async function autoCreateTopics(services: BrokerServices, names: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const todo = names.filter((n) => !inFlight.has(n));
  if (todo.length > 0) {
    const job = createTopics(services, todo);
    for (const n of todo) {
      const p = job.then((m) => m.get(n) ?? ErrorCode.LEADER_NOT_AVAILABLE);
      inFlight.set(n, p);
      void p.finally(() => inFlight.delete(n));
    }
  }
  for (const n of names) out.set(n, await (inFlight.get(n) ?? Promise.resolve(ErrorCode.LEADER_NOT_AVAILABLE)));
  return out;
}

async function createTopics(services: BrokerServices, names: string[]): Promise<Map<string, number>> {
  const codes = new Map<string, number>();
  const numPartitions = services.config.getInt('num.partitions');
  const replicationFactor = services.config.getInt('default.replication.factor');
  try {
    const { response } = await services.controller.forwardAndWait<any>(
      ApiKey.CreateTopics,
      7,
      {
        topics: names.map((name) => ({ name, numPartitions, replicationFactor, assignments: [], configs: [] })),
        timeoutMs: AUTO_CREATE_WAIT_MS,
        validateOnly: false,
      },
      (m, res) =>
        (res?.topics ?? []).every(
          (t: any) => (t.errorCode !== 0 && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) || leadersReady(services, m.topic(t.name)),
        ),
      AUTO_CREATE_WAIT_MS,
    );
    for (const t of response?.topics ?? []) {
      if (t.errorCode === 0 || t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
        codes.set(t.name, ErrorCode.LEADER_NOT_AVAILABLE);
      } else {
        services.log.warn(`auto-creating topic ${t.name} failed: error ${t.errorCode} ${t.errorMessage ?? ''}`);
        // The client sees why (e.g. INVALID_REPLICATION_FACTOR when default.replication.factor exceeds the live
        // brokers) instead of retrying forever; a controller that is busy or moving stays retriable.
        const retriable = t.errorCode === ErrorCode.NOT_CONTROLLER || t.errorCode === ErrorCode.REQUEST_TIMED_OUT;
        codes.set(t.name, retriable ? ErrorCode.LEADER_NOT_AVAILABLE : t.errorCode);
      }
    }
  } catch (err) {
    services.log.warn(`auto-creating topics ${names.join(', ')} through the controller failed: ${(err as Error).message}`);
    for (const n of names) codes.set(n, ErrorCode.LEADER_NOT_AVAILABLE);
  }
  return codes;
}

/** Every partition has a leader, and the ones this broker leads have their local log open (produce works). */
function leadersReady(services: BrokerServices, t: { name: string; partitions: readonly ({ leader: number; partition: number } | undefined)[] } | undefined): boolean {
  return (
    !!t &&
    t.partitions.length > 0 &&
    t.partitions.every(
      (p) => p !== undefined && p.leader >= 0 && (p.leader !== services.nodeId || services.replicas.get(t.name, p.partition) !== undefined),
    )
  );
}
