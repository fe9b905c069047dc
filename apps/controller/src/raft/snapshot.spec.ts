import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog } from '@runnel/storage';
import {
  MetadataImage,
  MetadataRecord,
  SnapshotCorruptError,
  encodeSnapshot,
  loadSnapshotIntoImage,
  parseSnapshot,
  parseSnapshotFileName,
  snapshotFileName,
} from '@runnel/metadata';
import { RecordBatchView, decodeControlRecordKey, decodeRecordBatch, encodeMetadataRecord, encodeRecordBatch } from '@runnel/protocol';
import { SnapshotStore } from './snapshot-store';
import { SnapshotManager, SnapshotSettings } from './snapshot-manager';

process.env.RUNNEL_LOG_LEVEL ??= 'error';

const TOPIC_ID = (n: number) => Buffer.alloc(16, n).toString('base64url');

function sampleImage(topics = 3): MetadataImage {
  const img = new MetadataImage();
  let off = 0;
  img.apply({ name: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } }, off++, 1);
  img.apply(
    {
      name: 'RegisterBrokerRecord',
      data: { brokerId: 1, incarnationId: TOPIC_ID(99), brokerEpoch: 1n, endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }], rack: 'r1', fenced: false },
    },
    off++,
    1,
  );
  for (let i = 0; i < topics; i++) {
    img.apply({ name: 'TopicRecord', data: { name: `t${i}`, topicId: TOPIC_ID(i + 1) } }, off++, 2);
    img.apply({ name: 'PartitionRecord', data: { partitionId: 0, topicId: TOPIC_ID(i + 1), replicas: [1], isr: [1], leader: 1, leaderEpoch: 3, partitionEpoch: 4 } }, off++, 2);
    img.apply({ name: 'ConfigRecord', data: { resourceType: 2, resourceName: `t${i}`, name: 'retention.ms', value: '1000' } }, off++, 2);
  }
  img.apply({ name: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 1n, nextProducerId: 2000n } }, off++, 2);
  return img;
}

/** What an image holds, comparable across images (the records that rebuild it). */
function content(img: MetadataImage): string {
  return JSON.stringify(img.toRecords(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function batchesOf(buf: Buffer): RecordBatchView[] {
  const out: RecordBatchView[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const v = new RecordBatchView(buf, pos);
    out.push(v);
    pos += v.totalSize;
  }
  return out;
}

describe('metadata snapshot format', () => {
  it('names files <20-digit end offset>-<10-digit epoch>.checkpoint', () => {
    expect(snapshotFileName({ endOffset: 1234, epoch: 7 })).toBe('00000000000000001234-0000000007.checkpoint');
    expect(parseSnapshotFileName('00000000000000001234-0000000007.checkpoint')).toEqual({ endOffset: 1234, epoch: 7 });
    expect(parseSnapshotFileName('00000000000000001234-0000000007.checkpoint.part')).toBeNull();
  });

  it('frames the records with header and footer control batches and round-trips the image', () => {
    const img = sampleImage(700); // more records than one batch holds
    const id = { endOffset: img.offset + 1, epoch: img.epoch };
    const buf = encodeSnapshot(id, img.toRecords(), 1_700_000_000_000);
    const batches = batchesOf(buf);
    expect(batches.length).toBeGreaterThan(3);
    const first = batches[0];
    const last = batches[batches.length - 1];
    expect(first.isControl && last.isControl).toBe(true);
    expect(decodeControlRecordKey(decodeRecordBatch(first).records[0].key).type).toBe(3);
    expect(decodeControlRecordKey(decodeRecordBatch(last).records[0].key).type).toBe(4);
    expect(batches.every((b) => b.partitionLeaderEpoch === id.epoch && b.verifyCrc())).toBe(true);

    const parsed = parseSnapshot(buf);
    expect(parsed.lastContainedLogTimestamp).toBe(1_700_000_000_000);
    const copy = new MetadataImage();
    loadSnapshotIntoImage(copy, id, parsed.records);
    expect(copy.offset).toBe(img.offset);
    expect(copy.epoch).toBe(img.epoch);
    expect(content(copy)).toBe(content(img));
  });

  it('rejects torn, corrupted and unframed snapshots', () => {
    const img = sampleImage();
    const buf = encodeSnapshot({ endOffset: img.offset + 1, epoch: 2 }, img.toRecords(), 0);
    const footerSize = batchesOf(buf).pop()!.totalSize;
    // Torn in the middle of a batch, and torn exactly before the footer.
    expect(() => parseSnapshot(buf.subarray(0, buf.length - 10))).toThrow(SnapshotCorruptError);
    expect(() => parseSnapshot(buf.subarray(0, buf.length - footerSize))).toThrow(/no footer/);
    // One flipped byte inside a record.
    const bad = Buffer.from(buf);
    bad[Math.floor(buf.length / 2)] ^= 0xff;
    expect(() => parseSnapshot(bad)).toThrow(SnapshotCorruptError);
    // Metadata records without the header.
    const bare = encodeRecordBatch({ baseOffset: 0, records: [{ value: encodeMetadataRecord({ name: 'FeatureLevelRecord', version: 0, data: { name: 'x', featureLevel: 1 } }) }] });
    expect(() => parseSnapshot(bare)).toThrow(/before the snapshot header/);
    expect(() => parseSnapshot(Buffer.alloc(0))).toThrow(/no header/);
  });
});

describe('SnapshotStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-snap-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const records = (n: number): MetadataRecord[] => sampleImage(n).toRecords();

  it('writes atomically, lists by end offset, serves chunks and keeps the newest two', async () => {
    const store = new SnapshotStore(dir);
    fs.writeFileSync(path.join(dir, '00000000000000000099-0000000001.checkpoint.part'), 'leftover');
    await store.write({ endOffset: 10, epoch: 1 }, records(1), 0);
    await store.write({ endOffset: 30, epoch: 2 }, records(2), 0);
    await store.write({ endOffset: 20, epoch: 1 }, records(1), 0);
    expect(store.list().map((s) => s.id.endOffset)).toEqual([10, 20, 30]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.part'))).toEqual(['00000000000000000099-0000000001.checkpoint.part']);
    // A reopened store drops temp files of interrupted writes.
    const reopened = new SnapshotStore(dir);
    expect(fs.readdirSync(dir).some((n) => n.endsWith('.part'))).toBe(false);
    expect(reopened.latest()!.id).toEqual({ endOffset: 30, epoch: 2 });

    const whole = fs.readFileSync(reopened.latest()!.file);
    const parts: Buffer[] = [];
    for (let pos = 0; pos < whole.length; pos += 50) parts.push((await reopened.readChunk({ endOffset: 30, epoch: 2 }, pos, 50))!);
    expect(Buffer.concat(parts).equals(whole)).toBe(true);
    expect(await reopened.readChunk({ endOffset: 31, epoch: 2 }, 0, 50)).toBeNull();

    expect(reopened.retain(2)).toBe(1);
    expect(reopened.list().map((s) => s.id.endOffset)).toEqual([20, 30]);
    expect(fs.existsSync(path.join(dir, snapshotFileName({ endOffset: 10, epoch: 1 })))).toBe(false);
  });

  it('loads the newest valid snapshot: torn and corrupted ones are set aside for an older one', async () => {
    const store = new SnapshotStore(dir);
    await store.write({ endOffset: 10, epoch: 1 }, records(1), 0);
    const mid = await store.write({ endOffset: 20, epoch: 1 }, records(2), 0);
    const top = await store.write({ endOffset: 30, epoch: 2 }, records(3), 0);
    // Newest torn (as by a crash without the atomic rename), the middle one with a flipped byte.
    fs.truncateSync(top.file, top.size - 7);
    const bytes = fs.readFileSync(mid.file);
    bytes[80] ^= 0x01;
    fs.writeFileSync(mid.file, bytes);

    const reopened = new SnapshotStore(dir);
    const loaded = await reopened.loadLatestValid();
    expect(loaded!.snapshot.id).toEqual({ endOffset: 10, epoch: 1 });
    expect(loaded!.records.filter((r) => r.name === 'TopicRecord')).toHaveLength(1);
    expect(reopened.list().map((s) => s.id.endOffset)).toEqual([10]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.corrupt')).sort()).toEqual([
      '00000000000000000020-0000000001.checkpoint.corrupt',
      '00000000000000000030-0000000002.checkpoint.corrupt',
    ]);
  });
});

describe('SnapshotManager', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnel-snapmgr-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const settings = (o: Partial<SnapshotSettings> = {}): SnapshotSettings => ({
    maxBytesBetween: 1,
    intervalMs: 0,
    retentionMs: -1,
    retentionBytes: 0,
    keep: 2,
    ...o,
  });

  async function logWith(n: number): Promise<PartitionLog> {
    const log = await PartitionLog.open({ dir: path.join(dir, 'log'), topic: '__cluster_metadata', partition: 0, config: { segmentBytes: 300, retentionMs: -1, retentionBytes: -1 } });
    for (let i = 0; i < n; i++) {
      const value = encodeMetadataRecord({ name: 'FeatureLevelRecord', version: 0, data: { name: `f${i}`, featureLevel: 1 } });
      await log.append(encodeRecordBatch({ baseOffset: 0, partitionLeaderEpoch: 1, records: [{ value }] }), { leaderEpoch: 1, assignOffsets: true });
    }
    await log.flush();
    return log;
  }

  it('trims the log only up to the oldest kept snapshot, and only past retention', async () => {
    const log = await logWith(20);
    const mgr = await SnapshotManager.open(path.join(dir, 'log'), log, settings({ retentionBytes: -1 }), { multiVoter: false });
    await mgr.store.write({ endOffset: 8, epoch: 1 }, [], 0);
    await mgr.store.write({ endOffset: 15, epoch: 1 }, [], 0);
    // No retention limit reached: nothing moves.
    expect(await mgr.maybeTrimLog()).toBe(0);
    (mgr.settings as SnapshotSettings).retentionBytes = 0;
    expect(await mgr.maybeTrimLog()).toBe(8);
    expect(log.logStartOffset).toBe(8);
    // Whole segments below the new start are gone.
    expect(log.segments[0].baseOffset).toBeGreaterThan(0);
    await mgr.close();
    await log.close();
  });

  it('on open, finishes an interrupted snapshot install and refuses a log with a gap on a single voter', async () => {
    let log = await logWith(5);
    const store = new SnapshotStore(path.join(dir, 'log'));
    await store.write({ endOffset: 40, epoch: 3 }, sampleImage(1).toRecords(), 0);
    const mgr = await SnapshotManager.open(path.join(dir, 'log'), log, settings(), { multiVoter: true });
    expect(log.logStartOffset).toBe(40);
    expect(log.logEndOffset).toBe(40);
    await mgr.close();
    await log.close();

    // Log starts at 40, but its only snapshot is now damaged: a single voter cannot rebuild the metadata.
    const file = path.join(dir, 'log', snapshotFileName({ endOffset: 40, epoch: 3 }));
    fs.truncateSync(file, 30);
    log = await PartitionLog.open({ dir: path.join(dir, 'log'), topic: '__cluster_metadata', partition: 0, logStartOffset: 40 });
    await expect(SnapshotManager.open(path.join(dir, 'log'), log, settings(), { multiVoter: false })).rejects.toThrow(/cannot rebuild/);
    // A voter of several restarts its log and lets the leader send the rest.
    const m2 = await SnapshotManager.open(path.join(dir, 'log'), log, settings(), { multiVoter: true });
    expect(log.logEndOffset).toBe(0);
    await m2.close();
    await log.close();
  });
});
