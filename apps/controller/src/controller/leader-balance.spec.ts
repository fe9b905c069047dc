import { buildImage, topicIdOf } from '../testing/image-builder';
import { leaderImbalance, preferredReplicaImbalanceCount, rebalanceRecords } from './leader-balance';

describe('leader rebalance check', () => {
  // Broker 1 prefers 10 partitions; `moved` of them are led by broker 2.
  const img = (moved: number, extra: Parameters<typeof buildImage>[0] = []) =>
    buildImage([{ id: 1 }, { id: 2 }, ...extra], {
      t: Array.from({ length: 10 }, (_, i) => ({ replicas: [1, 2], leader: i < moved ? 2 : 1 })),
      u: [{ replicas: [2, 1], leader: 2 }],
    });

  it('counts preferred partitions and those led elsewhere per broker', () => {
    expect(leaderImbalance(img(3))).toEqual([
      { brokerId: 1, preferred: 10, notLed: 3 },
      { brokerId: 2, preferred: 1, notLed: 0 },
    ]);
    expect(preferredReplicaImbalanceCount(img(3))).toBe(3);
  });

  it('moves leadership back only when the share exceeds the percentage', () => {
    expect(rebalanceRecords(img(1), 10)).toEqual([]);
    const recs = rebalanceRecords(img(2), 10);
    expect(recs).toEqual([0, 1].map((p) => ({ name: 'PartitionChangeRecord', version: 0, data: { partitionId: p, topicId: topicIdOf(0), leader: 1 } })));
    expect(rebalanceRecords(img(1), 0)).toHaveLength(1);
  });

  it('skips preferred replicas out of the ISR or not usable', () => {
    const notInIsr = buildImage([{ id: 1 }, { id: 2 }], { t: [{ replicas: [1, 2], isr: [2], leader: 2 }] });
    expect(rebalanceRecords(notInIsr, 10)).toEqual([]);
    const shutting = buildImage([{ id: 1, shuttingDown: true }, { id: 2 }], { t: [{ replicas: [1, 2], leader: 2 }] });
    expect(rebalanceRecords(shutting, 10)).toEqual([]);
  });
});
