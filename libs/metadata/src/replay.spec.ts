import { encodeMessage, encodeMetadataRecord, encodeRecordBatch, encodeControlRecordKey } from '@runnel/protocol';
import { MetadataImage } from './image';
import { replayMetadataBatches } from './replay';

const TID = 'AAAAAAAAAAAAAAAAAAAABQ';

function batch(baseOffset: number, epoch: number, records: { name: string; version?: number; data: object }[]): Buffer {
  return encodeRecordBatch({
    baseOffset,
    partitionLeaderEpoch: epoch,
    records: records.map((r, i) => ({ key: null, value: encodeMetadataRecord({ name: r.name, version: r.version ?? 0, data: r.data } as any), offsetDelta: i, timestamp: 1 })),
  });
}

function leaderChange(baseOffset: number, epoch: number): Buffer {
  return encodeRecordBatch({
    baseOffset,
    partitionLeaderEpoch: epoch,
    isControl: true,
    records: [{ key: encodeControlRecordKey(2), value: encodeMessage('LeaderChangeMessage', 0, { version: 0, leaderId: 1, voters: [], grantingVoters: [] } as any), timestamp: 1 }],
  });
}

describe('replayMetadataBatches', () => {
  const log = Buffer.concat([
    leaderChange(0, 1),
    batch(1, 1, [{ name: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } }]),
    batch(2, 1, [
      { name: 'RegisterBrokerRecord', version: 1, data: { brokerId: 1, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAQ', brokerEpoch: 2n, endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }], features: [], rack: null, fenced: true } },
    ]),
    batch(3, 1, [
      { name: 'UnfenceBrokerRecord', data: { id: 1, epoch: 2n } },
      { name: 'TopicRecord', data: { name: 'orders', topicId: TID } },
      { name: 'PartitionRecord', data: { partitionId: 0, topicId: TID, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 } },
      { name: 'ConfigRecord', data: { resourceType: 2, resourceName: 'orders', name: 'retention.ms', value: '10' } },
    ]),
    leaderChange(7, 2),
    batch(8, 2, [{ name: 'PartitionChangeRecord', data: { partitionId: 0, topicId: TID, leader: 1 } }]),
  ]);

  it('replays encoded batches, skipping control records but advancing offset and epoch', () => {
    const img = new MetadataImage({ strict: true });
    expect(replayMetadataBatches(img, log)).toBe(7);
    expect(img.offset).toBe(8);
    expect(img.epoch).toBe(2);
    expect(img.features.get('metadata.version')).toBe(21);
    expect(img.brokers.get(1)).toMatchObject({ epoch: 2, fenced: false, endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }] });
    expect(img.partition('orders', 0)).toMatchObject({ leader: 1, leaderEpoch: 1, partitionEpoch: 1 });
    expect(img.topicConfig('orders', 'retention.ms')).toBe('10');
  });

  it('is idempotent for overlapping reads and handles chunked input and a trailing partial batch', () => {
    const img = new MetadataImage({ strict: true });
    const cut = log.length - 10;
    replayMetadataBatches(img, [log.subarray(0, cut)]);
    expect(img.offset).toBe(7);
    // The next fetch starts at the batch containing offset 8, which may repeat earlier batches.
    expect(replayMetadataBatches(img, log)).toBe(1);
    expect(img.offset).toBe(8);
    expect(replayMetadataBatches(img, log)).toBe(0);
    expect(replayMetadataBatches(img, null)).toBe(0);
  });

  it('toRecords() rebuilds an equal image, also through the wire encoding', () => {
    const img = new MetadataImage({ strict: true });
    replayMetadataBatches(img, log);
    img.apply({ name: 'ConfigRecord', data: { resourceType: 4, resourceName: '', name: 'log.retention.ms', value: '5' } });
    img.apply({ name: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 2n, nextProducerId: 3000n } });
    const records = img.toRecords();
    const copy = new MetadataImage({ strict: true });
    copy.reset();
    replayMetadataBatches(copy, batch(0, 3, records as any));
    expect([...copy.topics.values()]).toEqual([...img.topics.values()]);
    expect([...copy.brokers.values()]).toEqual([...img.brokers.values()]);
    expect(copy.topicConfigs).toEqual(img.topicConfigs);
    expect(copy.brokerConfigs).toEqual(img.brokerConfigs);
    expect(copy.features).toEqual(img.features);
    expect(copy.nextProducerId).toBe(3000);
  });

  it('throws on a corrupt record value', () => {
    const bad = encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from([9, 9, 9]), timestamp: 1 }] });
    expect(() => replayMetadataBatches(new MetadataImage(), bad)).toThrow();
  });
});
