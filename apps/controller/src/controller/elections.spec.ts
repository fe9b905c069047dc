import { ErrorCode } from '@runnel/protocol';
import { buildImage, topicIdOf } from '../testing/image-builder';
import { countElections, electLeaders, PREFERRED, UNCLEAN, uncleanElectionsForLeaderless } from './elections';
import { recordsForBrokerRemoval, recordsForBrokerReturn } from './partition-changes';

const results = (r: ReturnType<typeof electLeaders>) =>
  r.result.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => `${t.topic}-${p.partitionId}:${p.errorCode}`));

describe('electLeaders, preferred', () => {
  const img = () =>
    buildImage([{ id: 1 }, { id: 2 }, { id: 3, shuttingDown: true }, { id: 4, fenced: true }], {
      t: [
        { replicas: [1, 2], leader: 2 }, // preferred 1 in ISR and usable: moves
        { replicas: [1, 2], leader: 1 }, // already preferred
        { replicas: [1, 2], isr: [2], leader: 2 }, // preferred out of the ISR
        { replicas: [3, 2], leader: 2 }, // preferred shutting down
        { replicas: [4, 2], leader: 2 }, // preferred fenced
      ],
    });

  it('moves leadership to the first replica only when it is in the ISR and usable', () => {
    const r = electLeaders(img(), PREFERRED, [{ topic: 't', partitions: [0, 1, 2, 3, 4] }]);
    expect(results(r)).toEqual([
      't-0:0',
      `t-1:${ErrorCode.ELECTION_NOT_NEEDED}`,
      `t-2:${ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE}`,
      `t-3:${ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE}`,
      `t-4:${ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE}`,
    ]);
    expect(r.records).toEqual([{ name: 'PartitionChangeRecord', version: 0, data: { partitionId: 0, topicId: topicIdOf(0), leader: 1 } }]);
    expect(r.result.errorCode).toBe(0);
  });

  it('answers unknown topics and partitions, and elects a repeated partition once', () => {
    const r = electLeaders(img(), PREFERRED, [
      { topic: 'x', partitions: [0] },
      { topic: 't', partitions: [9, 0, 0] },
    ]);
    expect(results(r)).toEqual([`x-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`, `t-9:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`, 't-0:0', 't-0:0']);
    expect(r.records).toHaveLength(1);
  });

  it('with null partitions covers every partition and leaves out those needing no election', () => {
    const r = electLeaders(img(), PREFERRED, null);
    expect(results(r)).toEqual([
      't-0:0',
      `t-2:${ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE}`,
      `t-3:${ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE}`,
      `t-4:${ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE}`,
    ]);
    const balanced = buildImage([{ id: 1 }], { u: [{ replicas: [1] }] });
    expect(electLeaders(balanced, PREFERRED, null).result.replicaElectionResults).toEqual([]);
  });

  it('refuses unknown election types', () => {
    expect(electLeaders(img(), 7, null).result.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('electLeaders, unclean', () => {
  const img = () =>
    buildImage([{ id: 1, fenced: true }, { id: 2 }, { id: 3 }, { id: 4, fenced: true }], {
      t: [
        { replicas: [1, 2], leader: 2 }, // has a leader
        { replicas: [1, 3, 2], isr: [1, 2], leader: -1 }, // ISR member 2 is alive: clean choice
        { replicas: [1, 3], isr: [1], leader: -1 }, // only 3, outside the ISR
        { replicas: [1, 4], isr: [1], leader: -1 }, // nobody alive
      ],
    });

  it('elects ISR members first, then live out-of-ISR replicas as RECOVERING, else ELIGIBLE_LEADERS_NOT_AVAILABLE', () => {
    const r = electLeaders(img(), UNCLEAN, [{ topic: 't', partitions: [0, 1, 2, 3] }]);
    expect(results(r)).toEqual([`t-0:${ErrorCode.ELECTION_NOT_NEEDED}`, 't-1:0', 't-2:0', `t-3:${ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE}`]);
    expect(r.records.map((x) => x.data)).toEqual([
      { partitionId: 1, topicId: topicIdOf(0), leader: 2 },
      { partitionId: 2, topicId: topicIdOf(0), leader: 3, isr: [3], leaderRecoveryState: 1 },
    ]);
    expect(countElections(r.records, 'clean')).toEqual({ clean: 1, unclean: 1 });
  });
});

describe('partition changes when a leader leaves or a broker returns', () => {
  const brokers = [{ id: 1 }, { id: 2 }, { id: 3, fenced: true }];
  const topics = { safe: [{ replicas: [1, 2], isr: [1], leader: 1 }], risky: [{ replicas: [1, 2], isr: [1], leader: 1 }] };

  it('keeps the partition leaderless without unclean election, elects out of the ISR when the topic allows it', () => {
    const img = buildImage(brokers, topics, { risky: { 'unclean.leader.election.enable': 'true' } });
    const recs = recordsForBrokerRemoval(img, 1);
    expect(recs.map((r) => r.data)).toEqual([
      { partitionId: 0, topicId: topicIdOf(0), leader: -1 },
      { partitionId: 0, topicId: topicIdOf(1), leader: 2, isr: [2], leaderRecoveryState: 1 },
    ]);
  });

  it('falls back to the cluster default, dynamic before static', () => {
    const img = buildImage(brokers, topics, { safe: { 'unclean.leader.election.enable': 'false' } });
    const staticTrue = { getOptionalString: () => 'true' } as any;
    expect(recordsForBrokerRemoval(img, 1, staticTrue).map((r) => r.data.leader)).toEqual([-1, 2]);
    img.apply({ name: 'ConfigRecord', data: { resourceType: 4, resourceName: '', name: 'unclean.leader.election.enable', value: 'false' } });
    expect(recordsForBrokerRemoval(img, 1, staticTrue).map((r) => r.data.leader)).toEqual([-1, -1]);
  });

  it('turning unclean election on elects a live replica for partitions already leaderless, only in topics that allow it', () => {
    const img = buildImage([{ id: 1, fenced: true }, { id: 2 }], {
      on: [{ replicas: [1, 2], isr: [1], leader: -1 }, { replicas: [1, 2], isr: [1, 2], leader: 2 }],
      off: [{ replicas: [1, 2], isr: [1], leader: -1 }],
      dead: [{ replicas: [1], isr: [1], leader: -1 }],
    }, { on: { 'unclean.leader.election.enable': 'true' }, dead: { 'unclean.leader.election.enable': 'true' } });
    expect(uncleanElectionsForLeaderless(img, null).map((r) => r.data)).toEqual([
      { partitionId: 0, topicId: topicIdOf(0), leader: 2, isr: [2], leaderRecoveryState: 1 },
    ]);
  });

  it('a returning broker leads leaderless partitions whose ISR it is in, others only uncleanly when allowed', () => {
    const img = buildImage([{ id: 1, fenced: true }, { id: 2, fenced: true }], {
      a: [{ replicas: [1, 2], isr: [2], leader: -1 }],
      b: [{ replicas: [1, 2], isr: [1], leader: -1 }],
      c: [{ replicas: [1, 2], isr: [1], leader: -1 }],
    }, { c: { 'unclean.leader.election.enable': 'true' } });
    const back = { ...img.brokers.get(2)!, fenced: false };
    expect(recordsForBrokerReturn(img, back).map((r) => r.data)).toEqual([
      { partitionId: 0, topicId: topicIdOf(0), leader: 2 },
      { partitionId: 0, topicId: topicIdOf(2), leader: 2, isr: [2], leaderRecoveryState: 1 },
    ]);
  });
});
