import { ConfigError, KafkaConfig, describeTopicConfigs, validateTopicConfig } from '@runnel/config';
import {
  ConfigResourceType,
  MetadataImage,
  MetadataRecord,
  TopicImage,
  topicCollisionKey,
  topicNameError,
} from '@runnel/metadata';
import { ErrorCode } from '@runnel/protocol';
import { randomKafkaUuid } from './uuid';

/** Upper bounds that keep a hostile request from making the controller allocate without limit. */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;
export const MAX_REPLICATION_FACTOR = 32_767;
/** New partitions one CreateTopics/CreatePartitions request may add in total. */
export const MAX_NEW_PARTITIONS_PER_REQUEST = 200_000;

export interface TopicOpContext {
  config: KafkaConfig;
  /** Rotates the first replica across topics, like Kafka's random start index. */
  placementSeed: () => number;
}

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

export interface CreateTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }[] | null;
}

class OpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * Brokers ordered so that racks alternate (Kafka's rack-alternated list): racks sorted by name, the
 * i-th broker of every rack before the (i+1)-th of any. Consecutive entries are then on distinct
 * racks as long as racks remain, so a walk along the list spreads one partition's replicas.
 */
export function rackAlternatedBrokers(brokers: number[], rackOf: (id: number) => string): number[] {
  const byRack = new Map<string, number[]>();
  for (const id of [...brokers].sort((a, b) => a - b)) {
    const rack = rackOf(id);
    const list = byRack.get(rack) ?? [];
    list.push(id);
    byRack.set(rack, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const id = byRack.get(r)![i];
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}

/**
 * Replica lists for `count` new partitions starting at `first`, round-robin over the active brokers.
 * When any broker has a rack (`racks`), placement is rack-aware: leaders rotate over the
 * rack-alternated list, and each further replica is the next broker on a rack the partition does not
 * use yet (any unused broker once every rack has one). Brokers without a rack share one unnamed rack.
 */
export function placeReplicas(
  brokers: number[],
  first: number,
  count: number,
  rf: number,
  seed: number,
  racks?: ReadonlyMap<number, string | null>,
): number[][] {
  if (racks && brokers.some((id) => racks.get(id))) return placeRackAware(brokers, first, count, rf, seed, (id) => racks.get(id) ?? '');
  const out: number[][] = [];
  const n = brokers.length;
  for (let i = 0; i < count; i++) {
    const p = first + i;
    const replicas: number[] = [];
    for (let r = 0; r < rf; r++) replicas.push(brokers[(seed + p + r) % n]);
    out.push(replicas);
  }
  return out;
}

function rackMap(image: MetadataImage): Map<number, string | null> {
  return new Map([...image.brokers.values()].map((b) => [b.id, b.rack]));
}

function placeRackAware(brokers: number[], first: number, count: number, rf: number, seed: number, rackOf: (id: number) => string): number[][] {
  const order = rackAlternatedBrokers(brokers, rackOf);
  const n = order.length;
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const p = first + i;
    const start = (seed + p) % n;
    // Shift the followers once per round of leaders, so the same leader gets varying followers.
    const shift = n > 1 ? Math.floor((seed + p) / n) % (n - 1) : 0;
    const replicas = [order[start]];
    const usedRacks = new Set([rackOf(order[start])]);
    const candidates: number[] = [];
    for (let k = 0; k < n - 1; k++) candidates.push(order[(start + 1 + ((shift + k) % (n - 1))) % n]);
    for (const id of candidates) {
      if (replicas.length >= rf) break;
      if (usedRacks.has(rackOf(id))) continue;
      replicas.push(id);
      usedRacks.add(rackOf(id));
    }
    for (const id of candidates) {
      if (replicas.length >= rf) break;
      if (!replicas.includes(id)) replicas.push(id);
    }
    out.push(replicas);
  }
  return out;
}

function validateAssignment(image: MetadataImage, brokerIds: number[], label: string): void {
  if (!Array.isArray(brokerIds) || brokerIds.length === 0) {
    throw new OpError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${label} has an empty replica list`);
  }
  if (new Set(brokerIds).size !== brokerIds.length) {
    throw new OpError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${label} lists a broker more than once: ${brokerIds.join(',')}`);
  }
  for (const id of brokerIds) {
    if (!image.brokers.has(id)) {
      throw new OpError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${label} names broker ${id}, which is not registered`);
    }
  }
}

function validateConfigs(configs: { name: string; value: string | null }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of configs ?? []) {
    try {
      out[c.name] = validateTopicConfig(c.name, c.value);
    } catch (e) {
      if (e instanceof ConfigError) throw new OpError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
  }
  return out;
}

function partitionRecord(topicId: string, partition: number, replicas: number[], image: MetadataImage): MetadataRecord {
  // The first replica that is registered and unfenced leads; the ISR starts as the full replica set.
  const leader = replicas.find((id) => image.brokers.get(id) && !image.brokers.get(id)!.fenced) ?? -1;
  return {
    name: 'PartitionRecord',
    version: 0,
    data: {
      partitionId: partition,
      topicId,
      replicas,
      isr: [...replicas],
      removingReplicas: [],
      addingReplicas: [],
      leader,
      leaderEpoch: 0,
      partitionEpoch: 0,
    },
  };
}

/**
 * CreateTopics: validates each topic on its own (one bad topic does not fail the others) and
 * returns the records for the valid ones: TopicRecord, its PartitionRecords, its ConfigRecords.
 */
export function createTopics(
  image: MetadataImage,
  topics: CreatableTopic[],
  validateOnly: boolean,
  ctx: TopicOpContext,
): { records: MetadataRecord[]; result: CreateTopicResult[] } {
  const records: MetadataRecord[] = [];
  const results: CreateTopicResult[] = [];
  const seenInRequest = new Map<string, number>();
  for (const t of topics) seenInRequest.set(t.name, (seenInRequest.get(t.name) ?? 0) + 1);
  const collisionKeys = new Map<string, string>();
  for (const name of image.topics.keys()) collisionKeys.set(topicCollisionKey(name), name);
  const active = image.activeBrokers().map((b) => b.id);
  let budget = MAX_NEW_PARTITIONS_PER_REQUEST;

  for (const t of topics) {
    const base = { name: t.name, topicId: ZERO_UUID, numPartitions: -1, replicationFactor: -1, configs: null };
    try {
      if ((seenInRequest.get(t.name) ?? 0) > 1) {
        throw new OpError(ErrorCode.INVALID_REQUEST, `Create topics request from client contains multiple entries for topic ${t.name}`);
      }
      const nameError = topicNameError(t.name);
      if (nameError) throw new OpError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
      if (image.topics.has(t.name)) throw new OpError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      const clash = collisionKeys.get(topicCollisionKey(t.name));
      if (clash !== undefined) {
        throw new OpError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${t.name}' collides with existing topic: ${clash} (topics that differ only in '.' and '_' collide)`,
        );
      }
      let replicaLists: number[][];
      const assignments = t.assignments ?? [];
      if (assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          throw new OpError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
        }
        if (assignments.length > MAX_PARTITIONS_PER_TOPIC) {
          throw new OpError(ErrorCode.INVALID_PARTITIONS, `Number of partitions exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`);
        }
        const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
        sorted.forEach((a, i) => {
          if (a.partitionIndex !== i) {
            throw new OpError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
          }
          validateAssignment(image, a.brokerIds, `Partition ${i}`);
        });
        replicaLists = sorted.map((a) => [...a.brokerIds]);
      } else {
        const numPartitions = t.numPartitions === -1 ? ctx.config.getInt('num.partitions') : t.numPartitions;
        const rf = t.replicationFactor === -1 ? ctx.config.getInt('default.replication.factor') : t.replicationFactor;
        if (!(numPartitions > 0)) throw new OpError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
        if (numPartitions > MAX_PARTITIONS_PER_TOPIC) {
          throw new OpError(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`);
        }
        if (!(rf > 0)) throw new OpError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
        if (rf > active.length) {
          throw new OpError(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${active.length} broker(s) are registered.`,
          );
        }
        replicaLists = placeReplicas(active, 0, numPartitions, rf, ctx.placementSeed(), rackMap(image));
      }
      const overrides = validateConfigs(t.configs);
      if (replicaLists.length > budget) {
        throw new OpError(ErrorCode.INVALID_PARTITIONS, `The request creates more than ${MAX_NEW_PARTITIONS_PER_REQUEST} partitions in total`);
      }
      budget -= replicaLists.length;
      const topicId = randomKafkaUuid();
      const described = describeTopicConfigs(ctx.config, overrides);
      results.push({
        name: t.name,
        topicId: validateOnly ? ZERO_UUID : topicId,
        errorCode: 0,
        errorMessage: null,
        numPartitions: replicaLists.length,
        replicationFactor: replicaLists[0].length,
        configs: described.map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          configSource: c.configSource,
          isSensitive: c.isSensitive,
        })),
      });
      collisionKeys.set(topicCollisionKey(t.name), t.name);
      if (validateOnly) continue;
      records.push({ name: 'TopicRecord', version: 0, data: { name: t.name, topicId } });
      for (const [name, value] of Object.entries(overrides)) {
        records.push({ name: 'ConfigRecord', version: 0, data: { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value } });
      }
      replicaLists.forEach((replicas, p) => records.push(partitionRecord(topicId, p, replicas, image)));
    } catch (e) {
      if (!(e instanceof OpError)) throw e;
      results.push({ ...base, errorCode: e.code, errorMessage: e.message });
    }
  }
  return { records, result: results };
}

export interface DeleteTopicTarget {
  name: string | null;
  topicId: string | null;
}

export interface DeleteTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

/** DeleteTopics by name or by id: one RemoveTopicRecord per topic found. */
export function deleteTopics(image: MetadataImage, targets: DeleteTopicTarget[]): { records: MetadataRecord[]; result: DeleteTopicResult[] } {
  const records: MetadataRecord[] = [];
  const result: DeleteTopicResult[] = [];
  const removed = new Set<string>();
  for (const t of targets) {
    const byId = t.topicId && t.topicId !== ZERO_UUID;
    if (byId && t.name) {
      result.push({ name: t.name, topicId: t.topicId!, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Give either a topic name or a topic id, not both' });
      continue;
    }
    let topic: TopicImage | undefined;
    if (byId) topic = image.topicById(t.topicId!);
    else if (t.name) topic = image.topic(t.name);
    if (!topic || removed.has(topic.topicId)) {
      if (byId) {
        result.push({ name: null, topicId: t.topicId!, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' });
      } else {
        result.push({
          name: t.name,
          topicId: ZERO_UUID,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: 'This server does not host this topic-partition.',
        });
      }
      continue;
    }
    removed.add(topic.topicId);
    records.push({ name: 'RemoveTopicRecord', version: 0, data: { topicId: topic.topicId } });
    result.push({ name: topic.name, topicId: topic.topicId, errorCode: 0, errorMessage: null });
  }
  return { records, result };
}

export interface CreatePartitionsTopic {
  name: string;
  count: number;
  assignments: { brokerIds: number[] }[] | null;
}

export interface CreatePartitionsResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

/** CreatePartitions: grows a topic to `count` partitions (never shrinks). */
export function createPartitions(
  image: MetadataImage,
  topics: CreatePartitionsTopic[],
  validateOnly: boolean,
  ctx: TopicOpContext,
): { records: MetadataRecord[]; result: CreatePartitionsResult[] } {
  const records: MetadataRecord[] = [];
  const result: CreatePartitionsResult[] = [];
  const counts = new Map<string, number>();
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const active = image.activeBrokers().map((b) => b.id);
  let budget = MAX_NEW_PARTITIONS_PER_REQUEST;
  for (const t of topics) {
    try {
      if ((counts.get(t.name) ?? 0) > 1) throw new OpError(ErrorCode.INVALID_REQUEST, `Duplicate topic name ${t.name} in the request`);
      const topic = image.topic(t.name);
      if (!topic) throw new OpError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
      const current = topic.partitions.length;
      if (t.count < current) {
        throw new OpError(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`);
      }
      if (t.count === current) throw new OpError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
      if (t.count > MAX_PARTITIONS_PER_TOPIC) {
        throw new OpError(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${t.count} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}`);
      }
      const added = t.count - current;
      if (added > budget) {
        throw new OpError(ErrorCode.INVALID_PARTITIONS, `The request creates more than ${MAX_NEW_PARTITIONS_PER_REQUEST} partitions in total`);
      }
      budget -= added;
      const rf = topic.partitions[0]?.replicas.length ?? 1;
      let lists: number[][];
      if (t.assignments) {
        if (t.assignments.length !== added) {
          throw new OpError(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`,
          );
        }
        t.assignments.forEach((a, i) => {
          validateAssignment(image, a.brokerIds, `Partition ${current + i}`);
          if (a.brokerIds.length !== rf) {
            throw new OpError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Inconsistent replication factor between partitions, partition 0 has ${rf} while partition ${current + i} has replication factor ${a.brokerIds.length}`);
          }
        });
        lists = t.assignments.map((a) => [...a.brokerIds]);
      } else {
        if (rf > active.length) {
          throw new OpError(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${active.length} broker(s) are registered.`,
          );
        }
        lists = placeReplicas(active, current, added, rf, ctx.placementSeed(), rackMap(image));
      }
      result.push({ name: t.name, errorCode: 0, errorMessage: null });
      if (!validateOnly) lists.forEach((replicas, i) => records.push(partitionRecord(topic.topicId, current + i, replicas, image)));
    } catch (e) {
      if (!(e instanceof OpError)) throw e;
      result.push({ name: t.name, errorCode: e.code, errorMessage: e.message });
    }
  }
  return { records, result };
}

export { OpError };
