import type { Registry } from 'prom-client';
import type { KafkaConfig } from '@runnel/config';
import { MetadataImage, MetadataRecord, SnapshotId, loadSnapshotIntoImage } from '@runnel/metadata';
import type { PartitionLog } from '@runnel/storage';
import { SnapshotMetrics } from '../metrics/snapshot.metrics';
import { ControllerLogger, createLogger } from '../util/logger';
import type { RaftClient } from './raft-client';
import { SnapshotStore, StoredSnapshot } from './snapshot-store';

export interface SnapshotSettings {
  /** metadata.log.max.record.bytes.between.snapshots */
  maxBytesBetween: number;
  /** metadata.log.max.snapshot.interval.ms (0: no time trigger) */
  intervalMs: number;
  /** metadata.max.retention.ms (-1: no age limit) */
  retentionMs: number;
  /** metadata.max.retention.bytes (-1: no size limit) */
  retentionBytes: number;
  /** Snapshots kept on disk (the newest ones). */
  keep: number;
}

export function snapshotSettings(config: KafkaConfig): SnapshotSettings {
  return {
    maxBytesBetween: config.getLong('metadata.log.max.record.bytes.between.snapshots'),
    intervalMs: config.getLong('metadata.log.max.snapshot.interval.ms'),
    retentionMs: config.getLong('metadata.max.retention.ms'),
    retentionBytes: config.getLong('metadata.max.retention.bytes'),
    keep: 2,
  };
}

/** The part of PartitionLog the manager uses (tests may pass their own). */
type SnapshotLog = Pick<PartitionLog, 'logStartOffset' | 'logEndOffset' | 'sizeInBytes' | 'truncateFullyAndStartAt' | 'deleteRecordsBefore'>;

/**
 * Writes snapshots of a voter's committed MetadataImage and trims the metadata log behind them.
 *
 * - A snapshot is due when `maxBytesBetween` bytes were appended since the last one, or `intervalMs` passed and
 *   there are new committed records. It captures the image synchronously (a consistent state at image.offset),
 *   then writes the file; the newest `keep` snapshots stay.
 * - The log start moves up to the oldest kept snapshot's end offset, once the log (plus snapshots) exceeds
 *   `retentionBytes` or that snapshot is older than `retentionMs`. So whatever was deleted is covered by a
 *   snapshot a lagging fetcher is sent, and a damaged newest snapshot still leaves an older one plus the log.
 */
export class SnapshotManager {
  private raft: RaftClient | null = null;
  private image: MetadataImage | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<StoredSnapshot | null> | null = null;
  private closed = false;
  /** raft.appendedBytes at the last snapshot. */
  private appendedBase = 0;
  /** Estimated bytes after the newest snapshot that were already in the log at start. */
  private pendingAtStart: number;
  private lastSnapshotMs: number;
  private readonly logger: ControllerLogger;
  readonly metrics: SnapshotMetrics | null;

  constructor(
    readonly store: SnapshotStore,
    private readonly log: SnapshotLog,
    readonly settings: SnapshotSettings,
    /** The snapshot start() loaded into nothing yet: attach() puts it into the image. */
    private recovered: { id: SnapshotId; records: MetadataRecord[] } | null,
    opts: { registry?: Registry; logger?: ControllerLogger; now?: () => number } = {},
  ) {
    this.logger = opts.logger ?? createLogger('snapshot');
    this.now = opts.now ?? Date.now;
    this.metrics = opts.registry ? new SnapshotMetrics(opts.registry, this) : null;
    const latest = store.latest();
    this.lastSnapshotMs = latest?.createdMs ?? this.now();
    // Bytes past the newest snapshot are not tracked across restarts: estimate them from the log's share.
    const from = latest?.id.endOffset ?? log.logStartOffset;
    const span = log.logEndOffset - log.logStartOffset;
    this.pendingAtStart = span > 0 ? Math.round((log.sizeInBytes * Math.max(0, log.logEndOffset - from)) / span) : 0;
  }

  private readonly now: () => number;

  /**
   * Startup: finds the newest valid snapshot (torn or corrupt ones are set aside) and makes the log consistent
   * with it. A snapshot past the log end is a download whose log restart was cut short: it is finished here. A log
   * that starts above every valid snapshot cannot be replayed: with several voters it restarts at the snapshot (or
   * 0) and the leader sends the rest; a single voter refuses to start.
   */
  static async open(
    dir: string,
    log: SnapshotLog,
    settings: SnapshotSettings,
    opts: { multiVoter: boolean; registry?: Registry; logger?: ControllerLogger; now?: () => number },
  ): Promise<SnapshotManager> {
    const logger = opts.logger ?? createLogger('snapshot');
    const store = new SnapshotStore(dir, logger);
    const loaded = await store.loadLatestValid();
    const end = loaded?.snapshot.id.endOffset ?? 0;
    if (loaded && end > log.logEndOffset) {
      logger.warn(`snapshot ${end}-${loaded.snapshot.id.epoch} is past the metadata log end ${log.logEndOffset}: restarting the log at ${end}`);
      await log.truncateFullyAndStartAt(end);
    } else if (log.logStartOffset > end) {
      const what = `the metadata log starts at ${log.logStartOffset} but the newest valid snapshot ends at ${loaded ? end : 'none'}`;
      if (!opts.multiVoter) throw new Error(`${what}: cannot rebuild the metadata`);
      logger.warn(`${what}: restarting the log at ${end}; the leader sends what is missing`);
      await log.truncateFullyAndStartAt(end);
    }
    if (loaded) logger.log(`loaded metadata snapshot ${end}-${loaded.snapshot.id.epoch} (${loaded.records.length} records)`);
    return new SnapshotManager(store, log, settings, loaded ? { id: loaded.snapshot.id, records: loaded.records } : null, { ...opts, logger });
  }

  /**
   * Binds to the voter's Raft client and committed image: loads the recovered snapshot into the image (before the
   * log after it is replayed), follows snapshots downloaded from the leader, and starts the periodic check.
   */
  attach(raft: RaftClient, image: MetadataImage): void {
    this.raft = raft;
    this.image = image;
    this.appendedBase = raft.appendedBytes;
    if (this.recovered) {
      loadSnapshotIntoImage(image, this.recovered.id, this.recovered.records);
      this.recovered = null;
    }
    raft.onSnapshotLoaded((id, records) => {
      loadSnapshotIntoImage(image, id, records);
      this.appendedBase = raft.appendedBytes;
      this.pendingAtStart = 0;
      this.lastSnapshotMs = this.now();
      this.metrics?.fetched.inc();
      this.store.retain(this.settings.keep);
    });
    const period = Math.max(50, Math.min(this.settings.intervalMs > 0 ? this.settings.intervalMs : 60_000, 60_000));
    this.timer = setInterval(() => void this.tick(), period);
    this.timer.unref?.();
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  /** Committed-record bytes since the newest snapshot (approximate: counts appended batches). */
  get bytesSinceSnapshot(): number {
    return this.pendingAtStart + (this.raft ? this.raft.appendedBytes - this.appendedBase : 0);
  }

  private async tick(): Promise<void> {
    try {
      await this.maybeSnapshot();
      await this.maybeTrimLog();
    } catch (e) {
      this.logger.error(`snapshot check failed: ${(e as Error).message}`);
    }
  }

  /** Writes a snapshot when one is due (called after every replay and periodically). */
  maybeSnapshot(): Promise<StoredSnapshot | null> {
    if (!this.image || this.closed || this.writing) return Promise.resolve(null);
    const end = this.image.offset + 1;
    if (end <= (this.store.latest()?.id.endOffset ?? 0)) return Promise.resolve(null);
    const due =
      this.bytesSinceSnapshot >= this.settings.maxBytesBetween ||
      (this.settings.intervalMs > 0 && this.now() - this.lastSnapshotMs >= this.settings.intervalMs);
    return due ? this.snapshotNow() : Promise.resolve(null);
  }

  /** Snapshots the committed image now (unless nothing is new since the newest snapshot). */
  snapshotNow(): Promise<StoredSnapshot | null> {
    if (this.writing) return this.writing;
    const p = this.write().finally(() => {
      if (this.writing === p) this.writing = null;
    });
    this.writing = p;
    return p;
  }

  private async write(): Promise<StoredSnapshot | null> {
    const image = this.image;
    const raft = this.raft;
    if (!image || !raft || this.closed) return null;
    const id: SnapshotId = { endOffset: image.offset + 1, epoch: Math.max(0, image.epoch) };
    // Only committed state: the image follows the high watermark, so this holds unless it was just reset.
    if (id.endOffset <= 0 || id.endOffset > raft.highWatermark) return null;
    if (id.endOffset <= (this.store.latest()?.id.endOffset ?? 0)) return null;
    const t0 = process.hrtime.bigint();
    // Captured in one synchronous step, so the records are the image exactly at endOffset - 1.
    const records = image.toRecords();
    const appendedAt = raft.appendedBytes;
    const snap = await this.store.write(id, records, this.now());
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    this.appendedBase = appendedAt;
    this.pendingAtStart = 0;
    this.lastSnapshotMs = this.now();
    this.metrics?.written(snap, seconds);
    this.logger.log(`wrote metadata snapshot ${id.endOffset}-${id.epoch}: ${records.length} records, ${snap.size} bytes in ${(seconds * 1000).toFixed(1)} ms`);
    this.store.retain(this.settings.keep);
    await this.maybeTrimLog();
    return snap;
  }

  /**
   * Moves the log start up to the oldest kept snapshot once retention asks for it; libs/storage deletes the
   * whole segments below. Returns the log start offset.
   */
  async maybeTrimLog(): Promise<number> {
    const oldest = this.store.list()[0];
    const start = this.log.logStartOffset;
    if (!oldest || this.closed) return start;
    const target = oldest.id.endOffset;
    if (target <= start || target > this.log.logEndOffset) return start;
    const { retentionBytes, retentionMs } = this.settings;
    const overBytes = retentionBytes >= 0 && this.log.sizeInBytes + this.store.totalBytes() > retentionBytes;
    const overAge = retentionMs >= 0 && this.now() - oldest.createdMs > retentionMs;
    if (!overBytes && !overAge) return start;
    const next = await this.log.deleteRecordsBefore(target);
    this.logger.log(`metadata log start moved ${start} -> ${next} (snapshot ${target}-${oldest.id.epoch} covers it)`);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writing?.catch(() => undefined);
  }
}
