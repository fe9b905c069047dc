import type { BrokerImage, MetadataImage, MetadataRecord } from '@runnel/metadata';

/**
 * PartitionChangeRecords that take `brokerId` out of leadership and out of every ISR it is in
 * (it is being fenced or shut down). Like Kafka, the last ISR member stays in the ISR so it can be
 * re-elected cleanly; the partition then has no leader (-1) until it returns.
 */
export function recordsForBrokerRemoval(image: MetadataImage, brokerId: number): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  const usable = (id: number) => {
    const b = image.brokers.get(id);
    return id !== brokerId && !!b && !b.fenced && !b.inControlledShutdown;
  };
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions) {
      if (!p || (!p.isr.includes(brokerId) && p.leader !== brokerId)) continue;
      let isr = p.isr.filter((id) => id !== brokerId);
      if (isr.length === 0) isr = [...p.isr];
      const data: Record<string, unknown> = { partitionId: p.partition, topicId: topic.topicId };
      if (isr.length !== p.isr.length) data.isr = isr;
      if (p.leader === brokerId) {
        // Preferred order among the remaining in-sync, usable replicas.
        const next = p.replicas.find((id) => isr.includes(id) && usable(id));
        data.leader = next ?? -1;
      }
      if (data.isr !== undefined || data.leader !== undefined) out.push({ name: 'PartitionChangeRecord', version: 0, data });
    }
  }
  return out;
}

/** Leaders for leaderless partitions that `broker` (now unfenced) can lead because it is in their ISR. */
export function recordsForBrokerReturn(image: MetadataImage, broker: BrokerImage): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions) {
      if (!p || p.leader !== -1 || !p.isr.includes(broker.id)) continue;
      out.push({ name: 'PartitionChangeRecord', version: 0, data: { partitionId: p.partition, topicId: topic.topicId, leader: broker.id } });
    }
  }
  return out;
}
