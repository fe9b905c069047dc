import type { KafkaConfig } from '@runnel/config';
import type { MetadataImage, MetadataRecord } from '@runnel/metadata';
import { createLogger } from '../util/logger';
import { clusterSetting, isUsableBroker } from './elections';
import type { QuorumController } from './quorum-controller';

export interface BrokerImbalance {
  brokerId: number;
  /** Partitions whose preferred (first) replica is this broker. */
  preferred: number;
  /** ... of which someone else (or nobody) leads. */
  notLed: number;
}

/** Per preferred broker: how many of its partitions it leads and how many it does not. */
export function leaderImbalance(image: MetadataImage): BrokerImbalance[] {
  const byBroker = new Map<number, BrokerImbalance>();
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions) {
      const preferred = p?.replicas[0];
      if (preferred === undefined) continue;
      let e = byBroker.get(preferred);
      if (!e) byBroker.set(preferred, (e = { brokerId: preferred, preferred: 0, notLed: 0 }));
      e.preferred++;
      if (p.leader !== preferred) e.notLed++;
    }
  }
  return [...byBroker.values()].sort((a, b) => a.brokerId - b.brokerId);
}

/** Partitions not led by their preferred replica (Kafka's PreferredReplicaImbalanceCount). */
export function preferredReplicaImbalanceCount(image: MetadataImage): number {
  return leaderImbalance(image).reduce((n, e) => n + e.notLed, 0);
}

/**
 * The periodic leader rebalance (auto.leader.rebalance.enable): for every broker whose share of
 * preferred partitions led elsewhere exceeds `percentage`, give leadership back to it where it is
 * in the ISR and usable. Returns the PartitionChangeRecords (leader field only: the epoch bumps).
 */
export function rebalanceRecords(image: MetadataImage, percentage: number): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  const over = new Set(
    leaderImbalance(image)
      .filter((e) => e.preferred > 0 && (e.notLed * 100) / e.preferred > percentage)
      .map((e) => e.brokerId),
  );
  if (over.size === 0) return out;
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions) {
      const preferred = p?.replicas[0];
      if (preferred === undefined || !over.has(preferred) || p.leader === preferred) continue;
      if (!p.isr.includes(preferred) || !isUsableBroker(image, preferred)) continue;
      out.push({ name: 'PartitionChangeRecord', version: 0, data: { partitionId: p.partition, topicId: topic.topicId, leader: preferred } });
    }
  }
  return out;
}

/** Runs rebalanceRecords on the active controller every leader.imbalance.check.interval.seconds. */
export class LeaderRebalancer {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly logger = createLogger('rebalance');

  constructor(private readonly controller: QuorumController, private readonly config: KafkaConfig) {}

  start(): void {
    const seconds = this.config.getLong('leader.imbalance.check.interval.seconds');
    this.timer = setInterval(() => void this.check(), Math.max(1, seconds) * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check; resolves to the number of leaderships moved. */
  async check(): Promise<number> {
    if (this.running || !this.controller.active) return 0;
    const image = this.controller.image;
    // Read on each run so a dynamic cluster-wide change (AlterConfigs on broker '') takes effect.
    if (String(clusterSetting(image, this.config, 'auto.leader.rebalance.enable')).toLowerCase() !== 'true') return 0;
    const pct = Number(clusterSetting(image, this.config, 'leader.imbalance.per.broker.percentage') ?? 10);
    this.running = true;
    try {
      const moved = await this.controller.write((img) => {
        const records = rebalanceRecords(img, Number.isFinite(pct) ? pct : 10);
        return { records, result: records.length, electionKind: 'preferred' };
      });
      if (moved > 0) this.logger.log(`moved ${moved} leadership(s) back to preferred replicas`);
      return moved;
    } catch (e) {
      this.logger.warn(`leader rebalance failed: ${(e as Error).message}`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
