// runnel_broker_group_* metrics. Gauges are computed at scrape time from the coordinator's groups, so they cost
// nothing between scrapes. Per-group, per-partition committed offset and lag are behind a switch
// (metrics.group.partition.level) because their cardinality grows with groups x partitions.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { errorInfo } from '@runnel/protocol';
import { GROUP_STATES } from './group-metadata';
import type { GroupCoordinator } from './group-coordinator';

export interface GroupMetricsSource {
  readonly coordinator: GroupCoordinator;
  highWatermark(topic: string, partition: number): number | null;
}

export class GroupMetrics {
  readonly rebalances: Counter<'group'>;
  readonly commits: Counter<'result'>;
  readonly commitDuration: Histogram;
  readonly offsetsExpired: Counter;
  private readonly names: string[] = [];

  constructor(
    private readonly registry: Registry,
    source: GroupMetricsSource,
    opts: { partitionLevel: boolean },
  ) {
    const r = [registry];
    // A coordinator restarted on the same registry (tests) replaces its earlier metrics instead of clashing.
    const track = <T>(make: () => T, name: string): T => {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
      const m = make();
      this.names.push(name);
      return m;
    };
    this.rebalances = track(() => new Counter({ name: 'runnel_broker_group_rebalances_total', help: 'Rebalances started, by group', labelNames: ['group'], registers: r }), 'runnel_broker_group_rebalances_total');
    this.commits = track(() => new Counter({
        name: 'runnel_broker_group_offset_commits_total',
        help: 'Partition offsets committed (ok) or refused by the coordinator after validation (error name)',
        labelNames: ['result'],
        registers: r,
      }), 'runnel_broker_group_offset_commits_total');
    this.commitDuration = track(() => new Histogram({
        name: 'runnel_broker_group_offset_commit_duration_seconds',
        help: 'Time to write an offset commit to __consumer_offsets until committed',
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: r,
      }), 'runnel_broker_group_offset_commit_duration_seconds');
    this.offsetsExpired = track(() => new Counter({ name: 'runnel_broker_group_offsets_expired_total', help: 'Committed offsets removed by offsets.retention.minutes', registers: r }), 'runnel_broker_group_offsets_expired_total');
    track(() => new Gauge({
        name: 'runnel_broker_groups',
        help: 'Groups this broker coordinates, by state',
        labelNames: ['state'],
        registers: r,
        collect() {
          const counts = new Map<string, number>(GROUP_STATES.filter((s) => s !== 'Dead').map((s) => [s, 0]));
          for (const g of source.coordinator.snapshot()) counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
          this.reset();
          for (const [state, n] of counts) this.set({ state }, n);
        },
      }), 'runnel_broker_groups');
    track(() => new Gauge({
        name: 'runnel_broker_group_members',
        help: 'Members of each group this broker coordinates',
        labelNames: ['group'],
        registers: r,
        collect() {
          this.reset();
          for (const g of source.coordinator.snapshot()) this.set({ group: g.groupId }, g.members);
        },
      }), 'runnel_broker_group_members');
    track(() => new Gauge({
        name: 'runnel_broker_group_generation',
        help: 'Current generation of each group this broker coordinates',
        labelNames: ['group'],
        registers: r,
        collect() {
          this.reset();
          for (const g of source.coordinator.snapshot()) this.set({ group: g.groupId }, g.generationId);
        },
      }), 'runnel_broker_group_generation');
    track(() => new Gauge({
        name: 'runnel_broker_group_coordinator_partitions',
        help: '__consumer_offsets partitions this broker leads, by load state',
        labelNames: ['state'],
        registers: r,
        collect() {
          const c = source.coordinator;
          let loading = 0;
          let active = 0;
          for (const p of c.ownedPartitions()) {
            if (c.isLoading(p)) loading++;
            else active++;
          }
          this.set({ state: 'loading' }, loading);
          this.set({ state: 'active' }, active);
        },
      }), 'runnel_broker_group_coordinator_partitions');
    if (opts.partitionLevel) {
      track(() => new Gauge({
          name: 'runnel_broker_group_committed_offset',
          help: 'Committed offset per group and partition',
          labelNames: ['group', 'topic', 'partition'],
          registers: r,
          collect() {
            this.reset();
            for (const g of source.coordinator.snapshot()) {
              for (const o of g.offsets) this.set({ group: g.groupId, topic: o.topic, partition: String(o.partition) }, Number(o.offset));
            }
          },
        }), 'runnel_broker_group_committed_offset');
      track(() => new Gauge({
          name: 'runnel_broker_group_lag',
          help: 'High watermark minus committed offset, per group and partition (partitions this broker leads)',
          labelNames: ['group', 'topic', 'partition'],
          registers: r,
          collect() {
            this.reset();
            for (const g of source.coordinator.snapshot()) {
              for (const o of g.offsets) {
                const hwm = source.highWatermark(o.topic, o.partition);
                if (hwm === null) continue;
                this.set({ group: g.groupId, topic: o.topic, partition: String(o.partition) }, Math.max(0, hwm - Number(o.offset)));
              }
            }
          },
        }), 'runnel_broker_group_lag');
    }
  }

  observeCommit(partitions: number, latencyMs: number, errorCode: number): void {
    this.commits.inc({ result: errorCode === 0 ? 'ok' : errorInfo(errorCode).name }, partitions);
    this.commitDuration.observe(latencyMs / 1000);
  }

  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }
}
