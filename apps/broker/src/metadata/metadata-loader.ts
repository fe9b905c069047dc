// Follows the controller's __cluster_metadata log with long-poll Fetches (as a KRaft observer) and replays the
// committed records into the broker's MetadataImage. Everything the broker knows about topics, partitions,
// brokers and configs arrives this way.
import { ApiKey, RecordBatchView } from '@runnel/protocol';
import {
  METADATA_PARTITION,
  METADATA_TOPIC,
  MetadataImage,
  SnapshotId,
  loadSnapshotIntoImage,
  parseSnapshot,
  replayMetadataBatches,
} from '@runnel/metadata';
import type { ControllerChannel } from '../controller/controller-channel';
import type { Logger } from '../util/logger';

const MAX_BYTES = 8 * 1024 * 1024;
/** FetchSnapshot chunk size we ask for. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
const NOT_LEADER_OR_FOLLOWER = 6;

export interface MetadataLoaderOptions {
  readonly image: MetadataImage;
  readonly controller: ControllerChannel;
  readonly nodeId: number;
  /** Replica id for the metadata fetch (the node id for a pure broker), or undefined for -1. */
  readonly observerId?: number;
  readonly log: Logger;
  readonly maxWaitMs?: number;
  /** Called when the image had to be rebuilt from scratch (divergence / snapshot). */
  readonly onReset?: () => void;
  /**
   * Called after a snapshot replaced the image. Listeners saw the snapshot's topics created or changed but no
   * deletions: whatever disappeared while this broker was behind must be looked for.
   */
  readonly onSnapshotLoaded?: () => void;
  /** FetchSnapshot chunk size (tests make it small). */
  readonly snapshotChunkBytes?: number;
}

export class MetadataLoader {
  private running = false;
  private loop: Promise<void> | null = null;
  private highWatermark = -1;
  private caughtUpOnce = false;
  private readonly caughtUpWaiters: Array<() => void> = [];
  /** Snapshots loaded from the controller (this observer was behind its log start). */
  snapshotsLoaded = 0;

  constructor(private readonly opts: MetadataLoaderOptions) {}

  /** The controller's committed metadata end (exclusive) as of the last fetch; -1 before any. */
  get controllerHighWatermark(): number {
    return this.highWatermark;
  }

  /** True when the last fetch found nothing committed beyond the image. */
  get caughtUp(): boolean {
    return this.highWatermark >= 0 && this.opts.image.offset + 1 >= this.highWatermark;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Resolves once the image has applied everything the controller had committed at some fetch. */
  waitCaughtUp(): Promise<void> {
    if (this.caughtUpOnce) return Promise.resolve();
    return new Promise((r) => this.caughtUpWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        await this.fetchOnce();
        backoff = 100;
      } catch (err) {
        if (!this.running) break;
        this.opts.log.warn(`metadata fetch from the controller failed: ${(err as Error).message}; retrying in ${backoff} ms`);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  private async fetchOnce(): Promise<void> {
    const { image, controller } = this.opts;
    const version = await controller.commonVersion(ApiKey.Fetch, 12);
    if (version < 4) throw new Error('controller does not serve Fetch v4+');
    const maxWaitMs = this.caughtUp ? (this.opts.maxWaitMs ?? 500) : 0;
    const res = await controller.send<any>(ApiKey.Fetch, version, {
      clusterId: image.clusterId,
      // Kafka brokers fetch the metadata log as observers under their own node id; a node that is also a voter
      // (combined mode) fetches anonymously so the Raft leader never mistakes it for a voter's replication.
      replicaId: this.opts.observerId ?? -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: MAX_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: METADATA_TOPIC,
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          partitions: [
            {
              partition: METADATA_PARTITION,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(image.offset + 1),
              lastFetchedEpoch: image.epoch,
              logStartOffset: -1n,
              partitionMaxBytes: MAX_BYTES,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    if (res.errorCode) throw new Error(`Fetch error ${res.errorCode}`);
    const p = res.responses?.[0]?.partitions?.[0];
    if (!p) throw new Error('empty metadata fetch response');
    if (p.errorCode === NOT_LEADER_OR_FOLLOWER) {
      // Asked a voter that is not the Raft leader: go where it points (or to the next voter) and retry.
      controller.notController(p.currentLeader?.leaderId);
      throw new Error(`voter is not the metadata leader (leader ${p.currentLeader?.leaderId ?? 'unknown'})`);
    }
    if (p.errorCode !== 0) throw new Error(`metadata fetch partition error ${p.errorCode}`);
    if (p.snapshotId && p.snapshotId.epoch >= 0 && Number(p.snapshotId.endOffset) > 0) {
      // The controller no longer has the log at our offset: load its snapshot, then fetch on from its end.
      await this.loadSnapshot({ endOffset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch });
      return;
    }
    if (p.divergingEpoch && p.divergingEpoch.epoch >= 0) {
      this.opts.log.warn('metadata log diverged: rebuilding the image from offset 0');
      this.reset();
      return;
    }
    this.highWatermark = Number(p.highWatermark);
    const committed = committedPrefix(p.records, this.highWatermark);
    if (committed.length > 0) replayMetadataBatches(image, committed);
    if (this.caughtUp && !this.caughtUpOnce) {
      this.caughtUpOnce = true;
      this.caughtUpWaiters.splice(0).forEach((r) => r());
    }
    if (committed.length === 0 && maxWaitMs === 0 && !this.caughtUp) await sleep(50);
  }

  /** Downloads snapshot `id` with FetchSnapshot in chunks, validates it and replaces the image with it. */
  private async loadSnapshot(id: SnapshotId): Promise<void> {
    const { controller, image } = this.opts;
    const version = await controller.commonVersion(ApiKey.FetchSnapshot, 1);
    if (version < 0) {
      this.opts.log.warn('the controller sent a snapshot id but serves no FetchSnapshot: rebuilding the image from offset 0');
      this.reset();
      return;
    }
    this.opts.log.warn(`metadata image at ${image.offset} is behind the controller's log start: loading snapshot ${id.endOffset}-${id.epoch}`);
    const chunks: Buffer[] = [];
    let position = 0;
    let size = -1;
    while ((size < 0 || position < size) && this.running) {
      const res = await controller.send<any>(ApiKey.FetchSnapshot, version, {
        clusterId: image.clusterId,
        replicaId: this.opts.observerId ?? -1,
        maxBytes: this.opts.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES,
        topics: [
          {
            name: METADATA_TOPIC,
            partitions: [
              {
                partition: METADATA_PARTITION,
                currentLeaderEpoch: -1,
                snapshotId: { endOffset: BigInt(id.endOffset), epoch: id.epoch },
                position: BigInt(position),
              },
            ],
          },
        ],
      });
      const p = res?.topics?.[0]?.partitions?.[0];
      if (!res || res.errorCode !== 0 || !p) throw new Error(`FetchSnapshot error ${res?.errorCode}`);
      if (p.errorCode === NOT_LEADER_OR_FOLLOWER) {
        controller.notController(p.currentLeader?.leaderId);
        throw new Error('FetchSnapshot reached a voter that is not the metadata leader');
      }
      // SNAPSHOT_NOT_FOUND (deleted meanwhile) and others: the next Fetch names the current snapshot.
      if (p.errorCode !== 0) throw new Error(`FetchSnapshot of ${id.endOffset}-${id.epoch} failed with error ${p.errorCode}`);
      if (Number(p.position) !== position) throw new Error(`FetchSnapshot answered position ${p.position}, asked ${position}`);
      const bytes: Buffer = Buffer.isBuffer(p.unalignedRecords) ? p.unalignedRecords : Buffer.alloc(0);
      size = Number(p.size);
      if (bytes.length === 0 && position < size) throw new Error('FetchSnapshot returned no bytes');
      chunks.push(Buffer.from(bytes));
      position += bytes.length;
    }
    if (!this.running) return;
    const { records } = parseSnapshot(Buffer.concat(chunks));
    loadSnapshotIntoImage(image, id, records);
    this.snapshotsLoaded++;
    this.highWatermark = Math.max(this.highWatermark, id.endOffset);
    this.opts.onSnapshotLoaded?.();
    this.opts.log.info(`loaded metadata snapshot ${id.endOffset}-${id.epoch} (${position} bytes, ${records.length} records)`);
  }

  private reset(): void {
    this.opts.image.reset();
    this.opts.onReset?.();
  }
}

/** The part of a fetched record set made of whole batches below the high watermark. */
function committedPrefix(records: Buffer | Buffer[] | null | undefined, hwm: number): Buffer[] {
  if (!records) return [];
  const bufs = Array.isArray(records) ? records : [records];
  const out: Buffer[] = [];
  for (const buf of bufs) {
    let pos = 0;
    while (pos + 61 <= buf.length) {
      const v = new RecordBatchView(buf, pos);
      const total = v.totalSize;
      if (total < 61 || pos + total > buf.length || v.lastOffset >= hwm) break;
      pos += total;
    }
    if (pos > 0) out.push(buf.subarray(0, pos));
    if (pos < buf.length) break;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
