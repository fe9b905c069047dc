import type { KafkaConfig } from '@runnel/config';
import type { MetadataImage, MetadataRecord, PartitionImage, TopicImage } from '@runnel/metadata';
import { ErrorCode } from '@runnel/protocol';

/** How a leader was chosen, for the elections counter. */
export type ElectionKind = 'preferred' | 'unclean' | 'clean';

/** Leader recovery state of a partition whose leader was elected from outside the ISR. */
export const RECOVERING = 1;

/** A broker that may lead or join an ISR: registered, unfenced and not shutting down. */
export function isUsableBroker(image: MetadataImage, id: number): boolean {
  const b = image.brokers.get(id);
  return !!b && !b.fenced && !b.inControlledShutdown;
}

/**
 * A cluster-level setting as the controller sees it now: the dynamic cluster-wide default (a
 * ConfigRecord for broker '') wins over the static config, like Kafka's dynamic broker configs.
 */
export function clusterSetting(image: MetadataImage, config: KafkaConfig | null | undefined, key: string): string | null {
  const dynamic = image.brokerConfigs.get('')?.get(key);
  if (dynamic !== undefined) return dynamic;
  return config?.getOptionalString(key) ?? null;
}

/** unclean.leader.election.enable for one topic: its override, else the cluster default. */
export function uncleanElectionAllowed(image: MetadataImage, topic: string, config: KafkaConfig | null | undefined): boolean {
  const v = image.topicConfig(topic, 'unclean.leader.election.enable') ?? clusterSetting(image, config, 'unclean.leader.election.enable');
  return String(v).toLowerCase() === 'true';
}

/**
 * Leader fields for a partition whose leader left, Kafka's order: the first usable ISR member in
 * replica order; with unclean election allowed, else the first usable replica outside the ISR,
 * which becomes the whole ISR and leads in the RECOVERING state. Null when nobody can lead.
 */
export function chooseLeader(
  image: MetadataImage,
  replicas: readonly number[],
  isr: readonly number[],
  allowUnclean: boolean,
  usable: (id: number) => boolean = (id) => isUsableBroker(image, id),
): { leader: number; isr?: number[]; leaderRecoveryState?: number } | null {
  const clean = replicas.find((id) => isr.includes(id) && usable(id));
  if (clean !== undefined) return { leader: clean };
  if (!allowUnclean) return null;
  const unclean = replicas.find((id) => !isr.includes(id) && usable(id));
  if (unclean === undefined) return null;
  return { leader: unclean, isr: [unclean], leaderRecoveryState: RECOVERING };
}

export interface ElectLeadersTopic {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersResult {
  topic: string;
  partitionResult: { partitionId: number; errorCode: number; errorMessage: string | null }[];
}

export const PREFERRED = 0;
export const UNCLEAN = 1;

function changeRecord(p: PartitionImage, fields: Record<string, unknown>): MetadataRecord {
  return { name: 'PartitionChangeRecord', version: 0, data: { partitionId: p.partition, topicId: p.topicId, ...fields } };
}

/** One partition's election: a record, or the error that explains why none is written. */
function electOne(image: MetadataImage, p: PartitionImage, electionType: number): { record?: MetadataRecord; errorCode: number; errorMessage: string | null } {
  if (electionType === PREFERRED) {
    const preferred = p.replicas[0];
    if (preferred !== undefined && p.leader === preferred) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
    if (preferred === undefined || !p.isr.includes(preferred) || !isUsableBroker(image, preferred)) {
      return {
        errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
        errorMessage: `Preferred replica ${preferred} is not in the ISR or not available to lead.`,
      };
    }
    return { record: changeRecord(p, { leader: preferred }), errorCode: 0, errorMessage: null };
  }
  if (p.leader !== -1) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition.' };
  const choice = chooseLeader(image, p.replicas, p.isr, true);
  if (!choice) {
    return { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'No replica of the partition is alive to lead.' };
  }
  return { record: changeRecord(p, choice), errorCode: 0, errorMessage: null };
}

/**
 * ElectLeaders (KIP-183/KIP-460): type 0 = preferred, 1 = unclean. `topicPartitions` null means every
 * partition, and then (like Kafka) partitions that need no election are left out of the answer.
 */
export function electLeaders(
  image: MetadataImage,
  electionType: number,
  topicPartitions: ElectLeadersTopic[] | null,
): { records: MetadataRecord[]; result: { errorCode: number; replicaElectionResults: ElectLeadersResult[] } } {
  const records: MetadataRecord[] = [];
  const out: ElectLeadersResult[] = [];
  if (electionType !== PREFERRED && electionType !== UNCLEAN) {
    return { records, result: { errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] } };
  }
  if (topicPartitions === null) {
    for (const topic of image.topics.values()) {
      const partitionResult: ElectLeadersResult['partitionResult'] = [];
      for (const p of topic.partitions) {
        if (!p) continue;
        const r = electOne(image, p, electionType);
        if (r.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
        if (r.record) records.push(r.record);
        partitionResult.push({ partitionId: p.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
      }
      if (partitionResult.length > 0) out.push({ topic: topic.name, partitionResult });
    }
    return { records, result: { errorCode: 0, replicaElectionResults: out } };
  }
  // The same partition named twice is elected once (Kafka's admin client dedups a set, too).
  const done = new Set<string>();
  for (const t of topicPartitions) {
    const topic: TopicImage | undefined = image.topic(t.topic);
    const partitionResult: ElectLeadersResult['partitionResult'] = [];
    for (const id of t.partitions ?? []) {
      const p = topic?.partitions[id];
      if (!topic || !p) {
        partitionResult.push({
          partitionId: id,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: topic ? `No such partition as ${t.topic}-${id}` : `No such topic as ${t.topic}`,
        });
        continue;
      }
      const r = electOne(image, p, electionType);
      const key = `${topic.topicId}:${id}`;
      if (r.record && !done.has(key)) records.push(r.record);
      done.add(key);
      partitionResult.push({ partitionId: id, errorCode: r.errorCode, errorMessage: r.errorMessage });
    }
    out.push({ topic: t.topic, partitionResult });
  }
  return { records, result: { errorCode: 0, replicaElectionResults: out } };
}

/**
 * Leaderless partitions of topics that now allow unclean election (after the setting was turned on): elect a
 * live replica from outside the ISR, as Kafka does when unclean.leader.election.enable changes to true.
 */
export function uncleanElectionsForLeaderless(image: MetadataImage, config: KafkaConfig | null | undefined): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const topic of image.topics.values()) {
    if (!uncleanElectionAllowed(image, topic.name, config)) continue;
    for (const p of topic.partitions) {
      if (!p || p.leader !== -1) continue;
      const choice = chooseLeader(image, p.replicas, p.isr, true);
      if (choice) records.push(changeRecord(p, choice));
    }
  }
  return records;
}

/**
 * Elections in a batch of records by kind: a PartitionChangeRecord that names a leader (not -1)
 * elected one; leaders in the RECOVERING state came from outside the ISR.
 */
export function countElections(records: readonly MetadataRecord[], kind: ElectionKind): Partial<Record<ElectionKind, number>> {
  const counts: Partial<Record<ElectionKind, number>> = {};
  for (const r of records) {
    if (r.name !== 'PartitionChangeRecord') continue;
    const leader = r.data?.leader;
    if (typeof leader !== 'number' || leader < 0) continue;
    const k: ElectionKind = r.data.leaderRecoveryState === RECOVERING ? 'unclean' : kind;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
