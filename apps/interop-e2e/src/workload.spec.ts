// The fault suite's bookkeeping (support/workload.ts computeFigures): what counts as lost, duplicated, reordered.
import { Ack, computeFigures } from './support/workload';

const ack = (partition: number, value: number, at: number): Ack => ({ partition, value, offset: value, at });

describe('workload figures', () => {
  it('counts acked-but-lost, duplicates, reordering, unacknowledged extras and the longest stall', () => {
    const acks = [ack(0, 0, 1000), ack(1, 0, 1010), ack(0, 1, 1020), ack(1, 1, 1500), ack(0, 2, 1510)];
    const read = new Map<number, number[]>([
      [0, [0, 1, 1, 3, 2]], // 1 twice, 3 (never acked) before 2
      [1, [0]], // 1 lost
    ]);
    const f = computeFigures(acks, read, { failedSends: 2, startedAt: 1000, stoppedAt: 2000, errors: ['x'] });
    expect(f).toMatchObject({ acked: 5, lost: 1, duplicates: 1, outOfOrder: 2, read: 6, unackedPresent: 1, failedSends: 2, maxStallMs: 480, rate: 5 });
    expect(f.lostSample).toEqual(['1:1']);
  });

  it('a clean run is all zeros', () => {
    const acks = [0, 1, 2].map((v) => ack(0, v, 1000 + v));
    const f = computeFigures(acks, new Map([[0, [0, 1, 2]]]), { failedSends: 0, startedAt: 1000, stoppedAt: 1003 });
    expect(f).toMatchObject({ acked: 3, lost: 0, duplicates: 0, outOfOrder: 0, unackedPresent: 0, maxStallMs: 1 });
  });
});
