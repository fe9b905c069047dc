import type { KafkaConfig } from '@runnel/config';
import type { BrokerImage, MetadataImage, MetadataRecord } from '@runnel/metadata';
import { chooseLeader, uncleanElectionAllowed } from './elections';

/**
 * PartitionChangeRecords that take `brokerId` out of leadership and out of every ISR it is in
 * (it is being fenced or shut down). Like Kafka, the last ISR member stays in the ISR so it can be
 * re-elected cleanly; the partition then has no leader (-1) until it returns, unless its topic
 * allows unclean election (unclean.leader.election.enable, `config` giving the cluster default):
 * then a live replica outside the ISR leads, alone in the ISR and RECOVERING.
 */
export function recordsForBrokerRemoval(image: MetadataImage, brokerId: number, config?: KafkaConfig | null): MetadataRecord[] {
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
        // Preferred order among the remaining in-sync, usable replicas; unclean only when the topic allows it.
        const choice = chooseLeader(image, p.replicas, isr, false, usable) ??
          (uncleanElectionAllowed(image, topic.name, config) ? chooseLeader(image, p.replicas, isr, true, usable) : null);
        data.leader = choice?.leader ?? -1;
        if (choice?.isr) data.isr = choice.isr;
        if (choice?.leaderRecoveryState !== undefined) data.leaderRecoveryState = choice.leaderRecoveryState;
      }
      if (data.isr !== undefined || data.leader !== undefined) out.push({ name: 'PartitionChangeRecord', version: 0, data });
    }
  }
  return out;
}

/**
 * Leaders for leaderless partitions that `broker` (now unfenced) can lead: those whose ISR it is in,
 * and (when the topic allows unclean election) those whose ISR members are all unavailable, where it
 * becomes the only ISR member and leads RECOVERING.
 */
export function recordsForBrokerReturn(image: MetadataImage, broker: BrokerImage, config?: KafkaConfig | null): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions) {
      if (!p || p.leader !== -1 || !p.replicas.includes(broker.id)) continue;
      const data: Record<string, unknown> = { partitionId: p.partition, topicId: topic.topicId, leader: broker.id };
      if (!p.isr.includes(broker.id)) {
        // Another ISR member that is usable would be the clean choice; leave it to its own return path.
        const cleanAlternative = p.isr.some((id) => {
          const b = image.brokers.get(id);
          return id !== broker.id && !!b && !b.fenced && !b.inControlledShutdown;
        });
        if (cleanAlternative || !uncleanElectionAllowed(image, topic.name, config)) continue;
        data.isr = [broker.id];
        data.leaderRecoveryState = 1;
      }
      out.push({ name: 'PartitionChangeRecord', version: 0, data });
    }
  }
  return out;
}
