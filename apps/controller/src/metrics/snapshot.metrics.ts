import type { Counter, Histogram, Registry } from 'prom-client';
import { MetricsFactory } from '@runnel/metrics';
import type { SnapshotManager } from '../raft/snapshot-manager';
import type { StoredSnapshot } from '../raft/snapshot-store';

/** runnel_controller_snapshot* metrics: metadata snapshots written, downloaded and kept by this voter. */
export class SnapshotMetrics {
  readonly writtenTotal: Counter;
  readonly writtenBytes: Counter;
  readonly duration: Histogram;
  readonly fetched: Counter;

  constructor(registry: Registry, manager: SnapshotManager) {
    const m = new MetricsFactory(registry, 'controller');
    this.writtenTotal = m.counter({ name: 'snapshots_written_total', help: 'Metadata snapshots this node wrote from its committed image' });
    this.writtenBytes = m.counter({ name: 'snapshot_written_bytes_total', help: 'Bytes of metadata snapshots this node wrote' });
    this.fetched = m.counter({ name: 'snapshots_fetched_total', help: 'Metadata snapshots this node downloaded from the leader with FetchSnapshot' });
    this.duration = m.histogram({
      name: 'snapshot_duration_seconds',
      help: 'Time to capture and write one metadata snapshot',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
    });
    m.gauge({
      name: 'snapshot_latest_end_offset',
      help: 'End offset of the newest metadata snapshot (-1 when none)',
      collect() {
        this.set(manager.store.latest()?.id.endOffset ?? -1);
      },
    });
    m.gauge({
      name: 'snapshot_latest_size_bytes',
      help: 'Size of the newest metadata snapshot file',
      collect() {
        this.set(manager.store.latest()?.size ?? 0);
      },
    });
    m.gauge({
      name: 'metadata_log_start_offset',
      help: 'First offset still in the local metadata log (older records are only in snapshots)',
      collect() {
        this.set(manager.logStartOffset);
      },
    });
    m.gauge({
      name: 'snapshot_bytes_since_latest',
      help: 'Metadata log bytes appended since the newest snapshot (a new one is written past metadata.log.max.record.bytes.between.snapshots)',
      collect() {
        this.set(manager.bytesSinceSnapshot);
      },
    });
  }

  written(snap: StoredSnapshot, seconds: number): void {
    this.writtenTotal.inc();
    this.writtenBytes.inc(snap.size);
    this.duration.observe(seconds);
  }
}
