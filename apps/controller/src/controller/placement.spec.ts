import { placeReplicas, rackAlternatedBrokers } from './topic-ops';

describe('replica placement', () => {
  it('without racks is the plain round-robin', () => {
    expect(placeReplicas([1, 2, 3], 0, 3, 2, 0)).toEqual([[1, 2], [2, 3], [3, 1]]);
    expect(placeReplicas([1, 2, 3], 0, 2, 2, 1, new Map([[1, null], [2, null], [3, null]]))).toEqual([[2, 3], [3, 1]]);
  });

  it('alternates racks in the broker order', () => {
    const racks: Record<number, string> = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'c' };
    expect(rackAlternatedBrokers([5, 4, 3, 2, 1], (id) => racks[id])).toEqual([1, 3, 5, 2, 4]);
  });

  it('puts the replicas of a partition on distinct racks when it can', () => {
    const racks = new Map<number, string | null>([[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b'], [5, 'c'], [6, 'c']]);
    for (const seed of [0, 1, 7]) {
      const lists = placeReplicas([1, 2, 3, 4, 5, 6], 0, 12, 3, seed, racks);
      for (const l of lists) {
        expect(new Set(l).size).toBe(3);
        expect(new Set(l.map((id) => racks.get(id))).size).toBe(3);
      }
      // Leadership is spread: every broker leads twice.
      const leaders = lists.map((l) => l[0]).sort();
      expect(leaders).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    }
  });

  it('fills with distinct brokers once every rack holds a replica', () => {
    const racks = new Map<number, string | null>([[1, 'a'], [2, 'a'], [3, 'b']]);
    const lists = placeReplicas([1, 2, 3], 0, 6, 3, 0, racks);
    for (const l of lists) expect([...l].sort()).toEqual([1, 2, 3]);
    for (const l of placeReplicas([1, 2, 3], 0, 6, 2, 0, racks)) expect(new Set(l.map((id) => racks.get(id))).size).toBe(2);
  });

  it('treats brokers without a rack as one more rack', () => {
    const racks = new Map<number, string | null>([[1, 'a'], [2, null], [3, 'a']]);
    for (const l of placeReplicas([1, 2, 3], 0, 3, 2, 0, racks)) expect(l.includes(2)).toBe(true);
  });
});
