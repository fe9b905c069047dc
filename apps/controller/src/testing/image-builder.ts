import { MetadataImage } from '@runnel/metadata';

export interface TestBroker {
  id: number;
  fenced?: boolean;
  shuttingDown?: boolean;
  rack?: string | null;
}

export interface TestPartition {
  replicas: number[];
  isr?: number[];
  leader?: number;
  leaderEpoch?: number;
  partitionEpoch?: number;
  leaderRecoveryState?: number;
}

/** A 22-character base64 topic id derived from a small number, stable across test runs. */
export const topicIdOf = (n: number) => `AAAAAAAAAAAAAAAAAAAA${String.fromCharCode(65 + n)}w`;

/**
 * A controller image built by replaying records, for unit tests of the pure controller functions.
 * Broker epochs are 100 + id so tests can tell them apart from offsets.
 */
export function buildImage(brokers: TestBroker[], topics: Record<string, TestPartition[]>, topicConfigs: Record<string, Record<string, string>> = {}): MetadataImage {
  const img = new MetadataImage({ strict: true });
  for (const b of brokers) {
    img.apply({
      name: 'RegisterBrokerRecord',
      data: {
        brokerId: b.id,
        incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA',
        brokerEpoch: BigInt(100 + b.id),
        endPoints: [],
        features: [],
        rack: b.rack ?? null,
        fenced: b.fenced ?? false,
        inControlledShutdown: b.shuttingDown ?? false,
      },
    });
  }
  let n = 0;
  for (const [name, parts] of Object.entries(topics)) {
    const topicId = topicIdOf(n++);
    img.apply({ name: 'TopicRecord', data: { name, topicId } });
    parts.forEach((p, i) =>
      img.apply({
        name: 'PartitionRecord',
        data: {
          partitionId: i,
          topicId,
          replicas: p.replicas,
          isr: p.isr ?? p.replicas,
          removingReplicas: [],
          addingReplicas: [],
          leader: p.leader ?? p.replicas[0],
          leaderEpoch: p.leaderEpoch ?? 0,
          partitionEpoch: p.partitionEpoch ?? 0,
          leaderRecoveryState: p.leaderRecoveryState ?? 0,
        },
      }),
    );
    for (const [key, value] of Object.entries(topicConfigs[name] ?? {})) {
      img.apply({ name: 'ConfigRecord', data: { resourceType: 2, resourceName: name, name: key, value } });
    }
  }
  return img;
}
