import { MetadataChange, MetadataImage, MetadataReplayError } from './image';
import { ConfigResourceType } from './records';
import { isInternalTopic, topicCollisionKey, topicNameError } from './topic-names';

const T1 = 'AAAAAAAAAAAAAAAAAAAAAQ';
const T2 = 'AAAAAAAAAAAAAAAAAAAAAg';

function register(img: MetadataImage, id: number, offset: number): void {
  img.apply(
    {
      name: 'RegisterBrokerRecord',
      data: {
        brokerId: id,
        incarnationId: 'inc' + id,
        brokerEpoch: BigInt(offset),
        endPoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + id, securityProtocol: 0 }],
        rack: null,
        fenced: true,
      },
    },
    offset,
  );
}

function createTopic(img: MetadataImage, name: string, id: number | string, partitions: number, start: number): number {
  const topicId = typeof id === 'string' ? id : id === 1 ? T1 : T2;
  let off = start;
  img.apply({ name: 'TopicRecord', data: { name, topicId } }, off++);
  for (let p = 0; p < partitions; p++) {
    img.apply(
      {
        name: 'PartitionRecord',
        data: { partitionId: p, topicId, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
      },
      off++,
    );
  }
  return off;
}

describe('MetadataImage', () => {
  it('replays brokers: register, unfence, fence, change record, unregister', () => {
    const img = new MetadataImage({ strict: true });
    register(img, 1, 0);
    expect(img.brokers.get(1)).toMatchObject({ id: 1, epoch: 0, fenced: true, rack: null });
    expect(img.activeBrokers()).toEqual([]);
    img.apply({ name: 'UnfenceBrokerRecord', data: { id: 1, epoch: 0n } }, 1);
    expect(img.brokers.get(1)!.fenced).toBe(false);
    expect(img.activeBrokers().map((b) => b.id)).toEqual([1]);
    img.apply({ name: 'FenceBrokerRecord', data: { id: 1, epoch: 0n } }, 2);
    expect(img.brokers.get(1)!.fenced).toBe(true);
    img.apply({ name: 'BrokerRegistrationChangeRecord', data: { brokerId: 1, brokerEpoch: 0n, fenced: -1 } }, 3);
    expect(img.brokers.get(1)!.fenced).toBe(false);
    img.apply({ name: 'BrokerRegistrationChangeRecord', data: { brokerId: 1, brokerEpoch: 0n, fenced: 0, inControlledShutdown: 1 } }, 4);
    expect(img.brokers.get(1)).toMatchObject({ fenced: false, inControlledShutdown: true });
    img.apply({ name: 'UnregisterBrokerRecord', data: { brokerId: 1, brokerEpoch: 0n } }, 5);
    expect(img.brokers.size).toBe(0);
    expect(img.offset).toBe(5);
  });

  it('re-registration replaces the broker with the new epoch', () => {
    const img = new MetadataImage({ strict: true });
    register(img, 1, 0);
    register(img, 1, 7);
    expect(img.brokers.get(1)!.epoch).toBe(7);
    expect(() => img.apply({ name: 'FenceBrokerRecord', data: { id: 1, epoch: 0n } }, 8)).toThrow(MetadataReplayError);
  });

  it('replays topics and partitions, indexed by name and id', () => {
    const img = new MetadataImage({ strict: true });
    register(img, 1, 0);
    const next = createTopic(img, 'orders', 1, 3, 1);
    expect(next).toBe(5);
    expect(img.offset).toBe(4);
    const t = img.topic('orders')!;
    expect(t.topicId).toBe(T1);
    expect(img.topicById(T1)).toBe(t);
    expect(t.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(img.partition('orders', 2)).toMatchObject({ leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1] });
    expect(img.partitionCount()).toBe(3);
    expect(img.offlinePartitionCount()).toBe(3); // broker 1 is still fenced
    img.apply({ name: 'UnfenceBrokerRecord', data: { id: 1, epoch: 0n } });
    expect(img.offlinePartitionCount()).toBe(0);
  });

  it('PartitionChangeRecord follows Kafka epoch rules', () => {
    const img = new MetadataImage({ strict: true });
    createTopic(img, 't', 1, 1, 0);
    const before = img.partition('t', 0)!;
    // ISR-only change: partition epoch bumps, leader epoch does not.
    img.apply({ name: 'PartitionChangeRecord', data: { partitionId: 0, topicId: T1, isr: [1, 2], leader: -2 } });
    expect(img.partition('t', 0)).toMatchObject({ isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
    // Same leader again forces a leader epoch bump.
    img.apply({ name: 'PartitionChangeRecord', data: { partitionId: 0, topicId: T1, leader: 1 } });
    expect(img.partition('t', 0)).toMatchObject({ leader: 1, leaderEpoch: 1, partitionEpoch: 2 });
    // No leader.
    img.apply({ name: 'PartitionChangeRecord', data: { partitionId: 0, topicId: T1, leader: -1, isr: [] } });
    expect(img.partition('t', 0)).toMatchObject({ leader: -1, leaderEpoch: 2, partitionEpoch: 3, isr: [] });
    // Old object untouched.
    expect(before.partitionEpoch).toBe(0);
  });

  it('removes topics and their configs', () => {
    const img = new MetadataImage({ strict: true });
    createTopic(img, 'a', 1, 1, 0);
    img.apply({ name: 'ConfigRecord', data: { resourceType: ConfigResourceType.TOPIC, resourceName: 'a', name: 'retention.ms', value: '1000' } });
    expect(img.topicConfig('a', 'retention.ms')).toBe('1000');
    img.apply({ name: 'RemoveTopicRecord', data: { topicId: T1 } });
    expect(img.topic('a')).toBeUndefined();
    expect(img.topicById(T1)).toBeUndefined();
    expect(img.topicConfigs.has('a')).toBe(false);
    // Same name may be created again with a new id.
    createTopic(img, 'a', 2, 2, img.offset + 1);
    expect(img.topic('a')!.topicId).toBe(T2);
  });

  it('applies config records with null value as delete, for topics and brokers', () => {
    const img = new MetadataImage();
    img.apply({ name: 'ConfigRecord', data: { resourceType: 4, resourceName: '', name: 'log.retention.ms', value: '5' } });
    img.apply({ name: 'ConfigRecord', data: { resourceType: 4, resourceName: '1', name: 'x', value: 'y' } });
    expect(img.brokerConfigs.get('')!.get('log.retention.ms')).toBe('5');
    img.apply({ name: 'ConfigRecord', data: { resourceType: 4, resourceName: '', name: 'log.retention.ms', value: null } });
    expect(img.brokerConfigs.has('')).toBe(false);
    expect(img.brokerConfigs.get('1')!.get('x')).toBe('y');
  });

  it('tracks features, producer ids, ignores unknown records', () => {
    const img = new MetadataImage();
    img.apply({ name: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } });
    img.apply({ name: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 0n, nextProducerId: 1000n } });
    img.apply({ name: 'NoOpRecord', data: {} });
    img.apply({ name: 'SomethingNew', data: {} });
    expect(img.features.get('metadata.version')).toBe(21);
    expect(img.nextProducerId).toBe(1000);
    expect(img.offset).toBe(3);
  });

  it('emits changes to listeners and isolates faulty listeners', () => {
    const img = new MetadataImage();
    const seen: MetadataChange['type'][] = [];
    img.onChange(() => {
      throw new Error('boom');
    });
    const off = img.onChange((c) => seen.push(c.type));
    register(img, 1, 0);
    createTopic(img, 't', 1, 2, 1);
    img.apply({ name: 'RemoveTopicRecord', data: { topicId: T1 } });
    off();
    img.apply({ name: 'UnfenceBrokerRecord', data: { id: 1, epoch: 0n } });
    expect(seen).toEqual(['broker-changed', 'topic-created', 'partition-changed', 'partition-changed', 'topic-deleted']);
  });

  it('non-strict images skip inconsistent records', () => {
    const img = new MetadataImage();
    img.apply({ name: 'PartitionRecord', data: { partitionId: 0, topicId: T1, replicas: [], isr: [], leader: -1, leaderEpoch: 0, partitionEpoch: 0 } });
    img.apply({ name: 'FenceBrokerRecord', data: { id: 9, epoch: 0n } });
    expect(img.topics.size).toBe(0);
    expect(img.offset).toBe(1);
  });

  it('reset forgets everything applied', () => {
    const img = new MetadataImage();
    img.clusterId = 'c';
    register(img, 1, 0);
    createTopic(img, 't', 1, 1, 1);
    img.reset();
    expect(img.offset).toBe(-1);
    expect(img.topics.size + img.topicsById.size + img.brokers.size).toBe(0);
    expect(img.clusterId).toBe('c');
    createTopic(img, 't', 1, 1, 0);
    expect(img.topic('t')).toBeDefined();
  });

  it('waitFor resolves on change or times out', async () => {
    const img = new MetadataImage();
    const p = img.waitFor((i) => i.topics.has('x'), 1000);
    const q = img.waitForOffset(100, 20);
    createTopic(img, 'x', 1, 1, 0);
    await expect(p).resolves.toBe(true);
    await expect(q).resolves.toBe(false);
    await expect(img.waitFor((i) => i.topics.has('x'), 0)).resolves.toBe(true);
  });
});

describe('topic names', () => {
  it('accepts legal names and rejects illegal ones', () => {
    expect(topicNameError('orders.v1_x-Y9')).toBeNull();
    expect(topicNameError('a'.repeat(249))).toBeNull();
    expect(topicNameError('a'.repeat(250))).toMatch(/longer/);
    expect(topicNameError('')).toMatch(/empty/);
    expect(topicNameError('.')).not.toBeNull();
    expect(topicNameError('..')).not.toBeNull();
    expect(topicNameError('bad name')).toMatch(/illegal/);
    expect(topicNameError('bäd')).toMatch(/illegal/);
    expect(topicCollisionKey('a.b_c')).toBe(topicCollisionKey('a_b.c'));
    expect(isInternalTopic('__consumer_offsets')).toBe(true);
  });
});
