// Sends the ISR changes that partition leaders decide (AlterPartition, KIP-497) to the active controller. Changes
// asked for in the same tick go out as one request; each caller gets its partition's committed state, or null when
// the controller refused it (stale leader or partition epoch, ineligible replica) or could not be reached; the
// leader then waits for the metadata log to tell it the truth before it tries again.
import { ApiKey, errorInfo } from '@runnel/protocol';
import type { ControllerChannel } from '../controller/controller-channel';
import type { IsrState, Partition } from '../partitions/partition';
import type { Logger } from '../util/logger';

interface Item {
  partition: Partition;
  newIsr: number[];
  resolve(state: IsrState | null): void;
}

export interface AlterPartitionSenderOptions {
  readonly nodeId: number;
  readonly brokerEpoch: () => number;
  readonly controller: ControllerChannel;
  readonly log: Logger;
  /** Broker epochs of ISR members, when known (AlterPartition v3 carries them). */
  readonly brokerEpochOf: (id: number) => number;
}

export class AlterPartitionSender {
  private queue: Item[] = [];
  private scheduled = false;

  constructor(private readonly opts: AlterPartitionSenderOptions) {}

  submit(partition: Partition, newIsr: number[]): Promise<IsrState | null> {
    return new Promise((resolve) => {
      this.queue.push({ partition, newIsr, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          const batch = this.queue.splice(0);
          void this.send(batch).catch((err) => {
            this.opts.log.warn(`AlterPartition to the controller failed: ${(err as Error).message}`);
            for (const it of batch) it.resolve(null);
          });
        });
      }
    });
  }

  private async send(items: Item[]): Promise<void> {
    const { controller } = this.opts;
    const version = await controller.commonVersion(ApiKey.AlterPartition, 3);
    if (version < 0) throw new Error('the controller does not serve AlterPartition');
    const byTopic = new Map<string, Item[]>();
    for (const it of items) {
      const list = byTopic.get(it.partition.topic) ?? [];
      list.push(it);
      byTopic.set(it.partition.topic, list);
    }
    const topics = [...byTopic.values()].map((list) => ({
      topicName: list[0].partition.topic,
      topicId: list[0].partition.topicId,
      partitions: list.map((it) => ({
        partitionIndex: it.partition.partition,
        leaderEpoch: it.partition.leaderEpoch,
        newIsr: it.newIsr,
        newIsrWithEpochs: it.newIsr.map((id) => ({ brokerId: id, brokerEpoch: BigInt(this.opts.brokerEpochOf(id)) })),
        leaderRecoveryState: 0,
        partitionEpoch: it.partition.partitionEpoch,
      })),
    }));
    const res = await controller.send<any>(ApiKey.AlterPartition, version, {
      brokerId: this.opts.nodeId,
      brokerEpoch: BigInt(this.opts.brokerEpoch()),
      topics,
    });
    if (res.errorCode) {
      this.opts.log.warn(`AlterPartition refused: ${errorInfo(res.errorCode).name}`);
      for (const it of items) it.resolve(null);
      return;
    }
    const answered = new Set<Item>();
    for (const t of res.topics ?? []) {
      const list = [...byTopic.values()].find((l) => (version >= 2 ? l[0].partition.topicId === t.topicId : l[0].partition.topic === t.topicName));
      for (const p of t.partitions ?? []) {
        const it = list?.find((x) => x.partition.partition === p.partitionIndex);
        if (!it) continue;
        answered.add(it);
        if (p.errorCode) {
          this.opts.log.info(`AlterPartition for ${it.partition.key} to ISR [${it.newIsr.join(',')}] refused: ${errorInfo(p.errorCode).name}`);
          it.resolve(null);
        } else {
          it.resolve({ leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: p.isr ?? [] });
        }
      }
    }
    for (const it of items) if (!answered.has(it)) it.resolve(null);
  }
}
