import * as fs from 'node:fs';
import * as net from 'node:net';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import { MetadataImage, loadSnapshotIntoImage, parseSnapshot, snapshotFileName } from '@runnel/metadata';
import { RunningController } from './bootstrap';
import { connect, registerBroker, startTestController, tempDir } from './testing/harness';
import { METADATA_TOPIC_ID } from './raft/raft-client';

jest.setTimeout(60_000);

// Small thresholds: a snapshot after every commit, the log trimmed behind the older kept snapshot at once.
const SNAPSHOT_PROPS = {
  'metadata.log.max.record.bytes.between.snapshots': 1,
  'metadata.max.retention.bytes': 0,
  'metadata.log.segment.bytes': 512,
};

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function createTopic(conn: KafkaConnection, name: string): Promise<number> {
  const res = await conn.send(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1234' }] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return res.topics[0].errorCode;
}

const content = (img: MetadataImage) => JSON.stringify(img.toRecords(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

function fetchMetadata(conn: KafkaConnection, fetchOffset: number, lastFetchedEpoch: number, replicaId = -1) {
  return conn.send(ApiKey.Fetch, 13, {
    clusterId: null,
    replicaId,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topicId: METADATA_TOPIC_ID,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(fetchOffset), lastFetchedEpoch, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
}

function fetchSnapshot(conn: KafkaConnection, id: { endOffset: bigint; epoch: number }, position: number, maxBytes: number, extra: Record<string, unknown> = {}) {
  return conn.send(ApiKey.FetchSnapshot, 0, {
    clusterId: null,
    replicaId: -1,
    maxBytes,
    topics: [{ name: '__cluster_metadata', partitions: [{ partition: 0, currentLeaderEpoch: -1, snapshotId: id, position: BigInt(position), ...extra }] }],
  });
}

describe('metadata snapshots on a single controller', () => {
  let dir: string;
  let ctl: RunningController | null = null;
  let conn: KafkaConnection | null = null;
  beforeEach(() => {
    dir = tempDir('runnel-ctl-snap-');
  });
  afterEach(async () => {
    await conn?.close().catch(() => undefined);
    await ctl?.close();
    ctl = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('snapshots, trims the log, answers Fetch below the log start with snapshotId and serves FetchSnapshot in chunks', async () => {
    ctl = await startTestController(dir, SNAPSHOT_PROPS);
    conn = await connect(ctl.port);
    const rt = ctl.runtime;
    const versions = await conn.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(versions.apiKeys.find((k: any) => k.apiKey === ApiKey.FetchSnapshot)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    await registerBroker(conn, 1);
    for (let i = 0; i < 12; i++) expect(await createTopic(conn, `topic-${i}`)).toBe(0);
    const raft = rt.raft!;
    const store = rt.snapshots!.store;
    await waitFor('a trimmed log', () => raft.logStartOffset > 0 && store.list().length === 2);
    // Freeze snapshotting so the files stay put while we look at them.
    (rt.snapshots!.settings as { maxBytesBetween: number }).maxBytesBetween = 1e9;
    await rt.snapshots!.snapshotNow();
    await rt.snapshots!.snapshotNow();
    const latest = store.latest()!;
    expect(latest.id.endOffset).toBe(rt.controller!.image.offset + 1);
    expect(store.list()[0].id.endOffset).toBe(raft.logStartOffset);
    expect(fs.existsSync(latest.file)).toBe(true);
    expect(latest.file.endsWith(snapshotFileName(latest.id))).toBe(true);

    // A fetcher below the log start is sent the latest snapshot id.
    const below = await fetchMetadata(conn, 0, -1);
    const p = below.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    expect(p.snapshotId).toEqual({ endOffset: BigInt(latest.id.endOffset), epoch: latest.id.epoch });
    expect(Number(p.logStartOffset)).toBe(raft.logStartOffset);
    // At the log start with the wrong last epoch, too.
    const wrongEpoch = await fetchMetadata(conn, raft.logStartOffset, store.list()[0].id.epoch + 5);
    expect(wrongEpoch.responses[0].partitions[0].snapshotId?.endOffset).toBe(BigInt(latest.id.endOffset));
    // From the snapshot end on, the log is served.
    const after = await fetchMetadata(conn, latest.id.endOffset - 1, latest.id.epoch);
    expect(after.responses[0].partitions[0].snapshotId?.epoch ?? -1).toBe(-1);
    expect(after.responses[0].partitions[0].records).not.toBeNull();

    // FetchSnapshot in 100-byte chunks rebuilds the file; loading it gives the controller's image.
    const wireId = { endOffset: BigInt(latest.id.endOffset), epoch: latest.id.epoch };
    const parts: Buffer[] = [];
    let pos = 0;
    let size = -1;
    while (size < 0 || pos < size) {
      const r = await fetchSnapshot(conn, wireId, pos, 100);
      const sp = r.topics[0].partitions[0];
      expect(sp.errorCode).toBe(0);
      expect(Number(sp.position)).toBe(pos);
      expect(sp.unalignedRecords.length).toBeLessThanOrEqual(100);
      size = Number(sp.size);
      parts.push(Buffer.from(sp.unalignedRecords));
      pos += sp.unalignedRecords.length;
    }
    expect(parts.length).toBe(Math.ceil(size / 100));
    const bytes = Buffer.concat(parts);
    expect(bytes.equals(fs.readFileSync(latest.file))).toBe(true);
    const img = new MetadataImage();
    loadSnapshotIntoImage(img, latest.id, parseSnapshot(bytes).records);
    expect(content(img)).toBe(content(rt.controller!.image));

    // Errors.
    const err = async (id: typeof wireId, position: number, extra: Record<string, unknown> = {}) =>
      (await fetchSnapshot(conn!, id, position, 100, extra)).topics[0].partitions[0].errorCode;
    expect(await err({ endOffset: 3n, epoch: 1 }, 0)).toBe(ErrorCode.SNAPSHOT_NOT_FOUND);
    expect(await err(wireId, size)).toBe(ErrorCode.POSITION_OUT_OF_RANGE);
    expect(await err(wireId, -1)).toBe(ErrorCode.POSITION_OUT_OF_RANGE);
    expect(await err(wireId, 0, { currentLeaderEpoch: raft.epoch - 1 })).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(await err(wireId, 0, { currentLeaderEpoch: raft.epoch + 1 })).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const wrongTopic = await conn.send(ApiKey.FetchSnapshot, 0, {
      clusterId: null,
      replicaId: -1,
      maxBytes: 100,
      topics: [{ name: 'other', partitions: [{ partition: 0, currentLeaderEpoch: -1, snapshotId: wireId, position: 0n }] }],
    });
    expect(wrongTopic.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const otherCluster = await conn.send(ApiKey.FetchSnapshot, 0, { clusterId: 'b3RoZXItY2x1c3Rlci1pZA', replicaId: -1, maxBytes: 100, topics: [] });
    expect(otherCluster.errorCode).toBe(ErrorCode.INCONSISTENT_CLUSTER_ID);

    // Metrics.
    const metrics = await rt.metrics.registry.metrics();
    expect(metrics).toMatch(new RegExp(`runnel_controller_snapshot_latest_end_offset\\S* ${latest.id.endOffset}`));
    expect(metrics).toMatch(/runnel_controller_snapshots_written_total\S* [1-9]/);
    expect(metrics).toMatch(/runnel_controller_snapshot_duration_seconds_count\S* [1-9]/);
    expect(metrics).toMatch(new RegExp(`runnel_controller_metadata_log_start_offset\\S* ${raft.logStartOffset}`));
  });

  it('restarts from the newest valid snapshot plus the log after it; a corrupt newest one falls back to the older', async () => {
    const port = await freePort();
    const props = { ...SNAPSHOT_PROPS, listeners: `CONTROLLER://127.0.0.1:${port}` };
    ctl = await startTestController(dir, props);
    conn = await connect(ctl.port);
    await registerBroker(conn, 1);
    for (let i = 0; i < 8; i++) expect(await createTopic(conn, `topic-${i}`)).toBe(0);
    await waitFor('two snapshots', () => ctl!.runtime.snapshots!.store.list().length === 2 && ctl!.runtime.raft!.logStartOffset > 0);
    // Records after the newest snapshot, which a restart must replay from the log.
    (ctl.runtime.snapshots!.settings as { maxBytesBetween: number }).maxBytesBetween = 1e9;
    expect(await createTopic(conn, 'after-snapshot')).toBe(0);
    const before = content(ctl.runtime.controller!.image);
    const snaps = ctl.runtime.snapshots!.store.list().map((s) => ({ ...s }));
    await conn.close();
    await ctl.close();

    ctl = await startTestController(dir, { ...props, 'metadata.log.max.record.bytes.between.snapshots': 1e9 });
    await waitFor('active', () => ctl!.runtime.controller!.active);
    const img = ctl.runtime.controller!.image;
    expect(img.topics.has('after-snapshot')).toBe(true);
    // The image equals the old one apart from what the new epoch added (nothing but control records here).
    expect(content(img)).toBe(before);
    await ctl.close();

    // Damage the newest snapshot: the older one plus the (longer) log rebuild the same image.
    const newest = snaps[snaps.length - 1];
    const bytes = fs.readFileSync(newest.file);
    bytes[bytes.length - 20] ^= 0x55;
    fs.writeFileSync(newest.file, bytes);
    ctl = await startTestController(dir, { ...props, 'metadata.log.max.record.bytes.between.snapshots': 1e9 });
    await waitFor('active', () => ctl!.runtime.controller!.active);
    expect(content(ctl.runtime.controller!.image)).toBe(before);
    expect(fs.existsSync(newest.file + '.corrupt')).toBe(true);
    expect(ctl.runtime.snapshots!.store.latest()!.id).toEqual(snaps[0].id);
  });
});

describe('metadata snapshots in a 3-voter quorum', () => {
  const CLUSTER_ID = 'cnVubmVsLXNuYXAtdGVzdA';
  const dirs: string[] = [];
  const nodes = new Map<number, RunningController>();
  let ports: number[] = [];
  const conns: KafkaConnection[] = [];

  afterEach(async () => {
    for (const c of conns.splice(0)) await c.close().catch(() => undefined);
    for (const [id, n] of nodes) {
      n.runtime.raft!.isolated = true;
      await n.close();
      nodes.delete(id);
    }
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const start = async (id: number) => {
    nodes.set(
      id,
      await startTestController(dirs[id - 1], {
        ...SNAPSHOT_PROPS,
        'node.id': id,
        listeners: `CONTROLLER://127.0.0.1:${ports[id - 1]}`,
        'controller.quorum.voters': ports.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(','),
        'cluster.id': CLUSTER_ID,
        'controller.quorum.election.timeout.ms': 300,
        'controller.quorum.fetch.timeout.ms': 800,
      }),
    );
  };
  const active = () => [...nodes.entries()].find(([, n]) => n.runtime.controller!.active);

  it('a voter that was down while the leader snapshotted and trimmed its log catches up through FetchSnapshot', async () => {
    ports = [await freePort(), await freePort(), await freePort()];
    for (let i = 0; i < 3; i++) dirs.push(tempDir('runnel-snap-quorum-'));
    await Promise.all([1, 2, 3].map(start));
    const [leaderId, leader] = await waitFor('a leader', () => active());
    const lagging = leaderId === 3 ? 2 : 3;
    const conn = await connect(leader.port);
    conns.push(conn);
    await registerBroker(conn, 1);
    expect(await createTopic(conn, 'early')).toBe(0);
    await waitFor('lagging voter has the early topic', () => nodes.get(lagging)!.runtime.controller!.image.topics.has('early'));
    const laggingEnd = nodes.get(lagging)!.runtime.raft!.logEndOffset;
    const n = nodes.get(lagging)!;
    n.runtime.raft!.isolated = true;
    await n.close();
    nodes.delete(lagging);

    // With the remaining majority: many writes, snapshots, and a log start past where the lagging voter stopped.
    for (let i = 0; i < 15; i++) expect(await createTopic(conn, `while-down-${i}`)).toBe(0);
    const raft = leader.runtime.raft!;
    await waitFor('leader log trimmed past the lagging voter', () => raft.logStartOffset > laggingEnd, 20_000);

    await start(lagging);
    const back = nodes.get(lagging)!.runtime;
    await waitFor('snapshot fetched', () => back.raft!.snapshotsFetched > 0, 20_000);
    expect(await createTopic(conn, 'after-return')).toBe(0);
    await waitFor('lagging voter caught up', () => back.controller!.image.offset === leader.runtime.controller!.image.offset && back.controller!.image.topics.has('after-return'), 20_000);
    expect(content(back.controller!.image)).toBe(content(leader.runtime.controller!.image));
    // Its local log restarted at a snapshot end: nothing below the leader's trimmed start came from the log.
    expect(back.raft!.logStartOffset).toBeGreaterThan(laggingEnd);
    expect(back.snapshots!.store.list().length).toBeGreaterThan(0);
    expect(await back.metrics.registry.metrics()).toMatch(/runnel_controller_snapshots_fetched_total\S* [1-9]/);
  });
});
