import { ApiKey, encodeMetadataRecord, encodeRecordBatch } from '@runnel/protocol';
import { MetadataImage, MetadataRecord, SnapshotId, encodeSnapshot } from '@runnel/metadata';
import type { ControllerChannel } from '../controller/controller-channel';
import { silentLogger } from '../util/logger';
import { MetadataLoader } from './metadata-loader';

const TOPIC_ID = (n: number) => Buffer.alloc(16, n).toString('base64url');

/**
 * A controller whose log starts at `logStart` (everything before is only in `snapshot`) and holds `tail` after
 * it. It answers Fetch below the log start with snapshotId and serves FetchSnapshot by position, as KRaft does.
 */
class FakeController {
  fetches: number[] = [];
  snapshotRequests: { position: number; maxBytes: number }[] = [];
  readonly snapshotBytes: Buffer;
  constructor(readonly snapshot: SnapshotId, records: MetadataRecord[], readonly tail: Buffer, readonly hw: number) {
    this.snapshotBytes = encodeSnapshot(snapshot, records, Date.now());
  }

  async commonVersion(apiKey: number): Promise<number> {
    return apiKey === ApiKey.Fetch ? 12 : apiKey === ApiKey.FetchSnapshot ? 1 : -1;
  }

  notController(): void {}

  async send(apiKey: number, _version: number, body: any): Promise<any> {
    if (apiKey === ApiKey.Fetch) {
      const offset = Number(body.topics[0].partitions[0].fetchOffset);
      this.fetches.push(offset);
      const base = { partitionIndex: 0, errorCode: 0, highWatermark: BigInt(this.hw), lastStableOffset: BigInt(this.hw), logStartOffset: BigInt(this.snapshot.endOffset) };
      if (offset < this.snapshot.endOffset) {
        return { errorCode: 0, responses: [{ partitions: [{ ...base, records: null, snapshotId: { endOffset: BigInt(this.snapshot.endOffset), epoch: this.snapshot.epoch } }] }] };
      }
      if (offset >= this.hw) await new Promise((r) => setTimeout(r, 10));
      return { errorCode: 0, responses: [{ partitions: [{ ...base, records: offset === this.snapshot.endOffset ? this.tail : null }] }] };
    }
    if (apiKey === ApiKey.FetchSnapshot) {
      const p = body.topics[0].partitions[0];
      const position = Number(p.position);
      this.snapshotRequests.push({ position, maxBytes: body.maxBytes });
      const chunk = this.snapshotBytes.subarray(position, position + body.maxBytes);
      return {
        errorCode: 0,
        topics: [{ name: '__cluster_metadata', partitions: [{ index: 0, errorCode: 0, snapshotId: p.snapshotId, size: BigInt(this.snapshotBytes.length), position: p.position, unalignedRecords: chunk }] }],
      };
    }
    throw new Error(`unexpected API ${apiKey}`);
  }
}

function snapshotContent(): MetadataRecord[] {
  const img = new MetadataImage();
  img.apply({ name: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } }, 0, 1);
  for (let i = 1; i <= 40; i++) {
    img.apply({ name: 'TopicRecord', data: { name: `t${i}`, topicId: TOPIC_ID(i) } }, 2 * i, 1);
    img.apply({ name: 'PartitionRecord', data: { partitionId: 0, topicId: TOPIC_ID(i), replicas: [1], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 3 } }, 2 * i + 1, 1);
  }
  return img.toRecords();
}

describe('MetadataLoader and controller snapshots', () => {
  it('an observer behind the log start downloads the snapshot in chunks, loads it, and fetches on from its end', async () => {
    const snapshot = { endOffset: 500, epoch: 4 };
    const tail = encodeRecordBatch({
      baseOffset: 500,
      partitionLeaderEpoch: 5,
      records: [{ value: encodeMetadataRecord({ name: 'TopicRecord', version: 0, data: { name: 'after', topicId: TOPIC_ID(99) } }) }],
    });
    const ctl = new FakeController(snapshot, snapshotContent(), tail, 501);
    // The observer has old state (a topic since deleted) far behind the controller's log start.
    const image = new MetadataImage();
    image.apply({ name: 'TopicRecord', data: { name: 'gone', topicId: TOPIC_ID(77) } }, 10, 1);
    let resets = 0; // snapshot loads reported to the broker (it then looks for stray logs)
    const loader = new MetadataLoader({
      image,
      controller: ctl as unknown as ControllerChannel,
      nodeId: 7,
      observerId: 7,
      log: silentLogger,
      maxWaitMs: 10,
      snapshotChunkBytes: 256,
      onSnapshotLoaded: () => resets++,
    });
    loader.start();
    await loader.waitCaughtUp();
    await loader.stop();

    expect(ctl.fetches[0]).toBe(11);
    expect(ctl.fetches).toContain(500);
    expect(ctl.snapshotRequests.length).toBe(Math.ceil(ctl.snapshotBytes.length / 256));
    expect(ctl.snapshotRequests.map((r) => r.position)).toEqual(ctl.snapshotRequests.map((_r, i) => i * 256));
    expect(loader.snapshotsLoaded).toBe(1);
    expect(resets).toBe(1);
    expect(image.topics.has('gone')).toBe(false);
    expect(image.topics.size).toBe(41);
    expect(image.partition('t40', 0)).toMatchObject({ leader: 1, leaderEpoch: 2 });
    expect(image.topics.has('after')).toBe(true);
    expect(image.offset).toBe(500);
    expect(image.epoch).toBe(5);
  });

  it('a corrupt snapshot download is not loaded (the image stays as it was)', async () => {
    const ctl = new FakeController({ endOffset: 100, epoch: 2 }, snapshotContent(), Buffer.alloc(0), 100);
    ctl.snapshotBytes[ctl.snapshotBytes.length - 30] ^= 0x10;
    const image = new MetadataImage();
    image.apply({ name: 'TopicRecord', data: { name: 'kept', topicId: TOPIC_ID(5) } }, 3, 1);
    const warnings: string[] = [];
    const loader = new MetadataLoader({
      image,
      controller: ctl as unknown as ControllerChannel,
      nodeId: 7,
      log: { ...silentLogger, warn: (m: string) => warnings.push(m) },
      snapshotChunkBytes: 1024,
    });
    loader.start();
    await new Promise((r) => setTimeout(r, 150));
    await loader.stop();
    expect(loader.snapshotsLoaded).toBe(0);
    expect(image.topics.has('kept')).toBe(true);
    expect(image.offset).toBe(3);
    expect(warnings.some((w) => /CRC|corrupt|torn/i.test(w))).toBe(true);
  });
});
