import { ErrorCode } from '@runnel/protocol';
import { buildImage, TestBroker, topicIdOf } from '../testing/image-builder';
import { alterPartition, AlterPartitionRequestBody } from './isr-ops';

// Broker 1 leads t-0 (replicas 1,2,3; ISR all three) at leader epoch 4, partition epoch 7.
const image = (brokers: TestBroker[] = [{ id: 1 }, { id: 2 }, { id: 3 }], lrs = 0) =>
  buildImage(brokers, { t: [{ replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 7, leaderRecoveryState: lrs }] });

function req(newIsr: number[], over: Partial<AlterPartitionRequestBody['topics'][0]['partitions'][0]> = {}, top: Partial<AlterPartitionRequestBody> = {}): AlterPartitionRequestBody {
  return {
    brokerId: 1,
    brokerEpoch: 101n,
    topics: [
      {
        topicName: 't',
        topicId: topicIdOf(0),
        partitions: [
          {
            partitionIndex: 0,
            leaderEpoch: 4,
            partitionEpoch: 7,
            newIsr,
            newIsrWithEpochs: newIsr.map((id) => ({ brokerId: id, brokerEpoch: BigInt(100 + id) })),
            leaderRecoveryState: 0,
            ...over,
          },
        ],
      },
    ],
    ...top,
  };
}

const code = (r: ReturnType<typeof alterPartition>) => r.result.topics[0].partitions[0].errorCode;

describe('alterPartition', () => {
  it('shrinks the ISR with one isr-only record and answers the state it produces', () => {
    const img = image();
    const r = alterPartition(img, req([1, 3]), 3);
    expect(r.records).toEqual([{ name: 'PartitionChangeRecord', version: 0, data: { partitionId: 0, topicId: topicIdOf(0), isr: [1, 3] } }]);
    expect(r.result.errorCode).toBe(0);
    expect(r.result.topics[0].partitions[0]).toEqual({
      partitionIndex: 0,
      errorCode: 0,
      leaderId: 1,
      leaderEpoch: 4,
      isr: [1, 3],
      leaderRecoveryState: 0,
      partitionEpoch: 8,
    });
    // Replay agrees with the answer: leader epoch unchanged, partition epoch bumped.
    for (const rec of r.records) img.apply(rec);
    expect(img.partition('t', 0)).toMatchObject({ isr: [1, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 8 });
  });

  it('answers an unchanged ISR with the current state and writes nothing', () => {
    const r = alterPartition(image(), req([1, 2, 3]), 3);
    expect(r.records).toEqual([]);
    expect(r.result.topics[0].partitions[0]).toMatchObject({ errorCode: 0, isr: [1, 2, 3], partitionEpoch: 7, leaderEpoch: 4 });
  });

  it('refuses an unknown or stale broker epoch for the whole request', () => {
    expect(alterPartition(image(), req([1, 2]), 3).result.errorCode).toBe(0);
    const stale = alterPartition(image(), req([1, 2], {}, { brokerEpoch: 99n }), 3);
    expect(stale.result).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] });
    expect(alterPartition(image(), req([1, 2], {}, { brokerId: 9, brokerEpoch: 109n }), 3).result.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
  });

  it('names unknown topics by id from v2 and by name before', () => {
    const byId = req([1, 2]);
    byId.topics[0].topicId = topicIdOf(5);
    expect(code(alterPartition(image(), byId, 2))).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    const byName = req([1, 2]);
    byName.topics[0].topicName = 'nope';
    expect(code(alterPartition(image(), byName, 1))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // v1 finds the topic by name even with no id.
    const v1 = req([1, 2]);
    v1.topics[0].topicId = undefined;
    expect(code(alterPartition(image(), v1, 1))).toBe(0);
    expect(code(alterPartition(image(), req([1, 2], { partitionIndex: 3 }), 3))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('checks leadership and epochs like Kafka', () => {
    const img = image();
    expect(code(alterPartition(img, req([2, 3], {}, { brokerId: 2, brokerEpoch: 102n }), 3))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(code(alterPartition(img, req([1, 2], { leaderEpoch: 3 }), 3))).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(code(alterPartition(img, req([1, 2], { partitionEpoch: 6 }), 3))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    // Epochs ahead of the controller's: this controller is behind.
    expect(code(alterPartition(img, req([1, 2], { leaderEpoch: 5 }), 3))).toBe(ErrorCode.NOT_CONTROLLER);
    expect(code(alterPartition(img, req([1, 2], { partitionEpoch: 8 }), 3))).toBe(ErrorCode.NOT_CONTROLLER);
  });

  it('requires the leader in the new ISR, only replicas, no duplicates', () => {
    expect(code(alterPartition(image(), req([2, 3]), 3))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(alterPartition(image(), req([1, 4]), 3))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(alterPartition(image(), req([1, 1]), 3))).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('refuses fenced, shutting-down or unregistered members: INELIGIBLE_REPLICA from v3, OPERATION_NOT_ATTEMPTED before', () => {
    const fenced = image([{ id: 1 }, { id: 2, fenced: true }, { id: 3, shuttingDown: true }]);
    expect(code(alterPartition(fenced, req([1, 2]), 3))).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(code(alterPartition(fenced, req([1, 3]), 3))).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(code(alterPartition(fenced, req([1, 2]), 2))).toBe(ErrorCode.OPERATION_NOT_ATTEMPTED);
    const gone = image([{ id: 1 }, { id: 2 }]);
    expect(code(alterPartition(gone, req([1, 3]), 0))).toBe(ErrorCode.OPERATION_NOT_ATTEMPTED);
    expect(code(alterPartition(fenced, req([1]), 3))).toBe(0);
  });

  it('v3 checks member broker epochs unless -1; older versions ignore NewIsrWithEpochs', () => {
    const wrong = req([1, 2], { newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: 101n }, { brokerId: 2, brokerEpoch: 55n }] });
    expect(code(alterPartition(image(), wrong, 3))).toBe(ErrorCode.INELIGIBLE_REPLICA);
    const unknown = req([1, 2], { newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: -1n }, { brokerId: 2, brokerEpoch: -1n }] });
    expect(code(alterPartition(image(), unknown, 3))).toBe(0);
    expect(code(alterPartition(image(), wrong, 2))).toBe(0);
  });

  it('lets a recovering leader finish recovery, never start it, and keeps it alone while recovering', () => {
    const recovering = image(undefined, 1);
    const done = alterPartition(recovering, req([1, 2]), 3);
    expect(done.records[0].data).toMatchObject({ isr: [1, 2], leaderRecoveryState: 0 });
    expect(done.result.topics[0].partitions[0].leaderRecoveryState).toBe(0);
    expect(code(alterPartition(recovering, req([1, 2], { leaderRecoveryState: 1 }), 3))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(alterPartition(image(), req([1], { leaderRecoveryState: 1 }), 3))).toBe(ErrorCode.INVALID_REQUEST);
    // v0 has no recovery state field: it means recovered.
    expect(alterPartition(recovering, req([1, 2, 3], { leaderRecoveryState: 1 }), 0).records[0].data.leaderRecoveryState).toBe(0);
  });

  it('answers each partition on its own, and a repeated entry sees the earlier change', () => {
    const img = buildImage([{ id: 1 }, { id: 2 }], { t: [{ replicas: [1, 2] }, { replicas: [2, 1] }] });
    const r = alterPartition(
      img,
      {
        brokerId: 1,
        brokerEpoch: 101n,
        topics: [
          {
            topicName: 't',
            partitions: [
              { partitionIndex: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] },
              { partitionIndex: 1, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] },
              { partitionIndex: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2] },
            ],
          },
        ],
      },
      1,
    );
    expect(r.result.topics[0].partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.INVALID_UPDATE_VERSION]);
    expect(r.records).toHaveLength(1);
  });
});
