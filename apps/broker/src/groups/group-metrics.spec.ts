import { Registry } from 'prom-client';
import { GroupMetrics } from './group-metrics';
import { joinParams, setupCoordinator } from './testing/group-test-utils';

describe('GroupMetrics', () => {
  it('reports groups by state, members, generations, coordinator partitions, and (behind the switch) offsets and lag', async () => {
    const { coordinator: c } = setupCoordinator({ offsetsTopicNumPartitions: 3 });
    const registry = new Registry();
    const metrics = new GroupMetrics(registry, { coordinator: c, highWatermark: (_t, p) => (p === 0 ? 25 : null) }, { partitionLevel: true });
    const j = await c.joinGroup(joinParams());
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await c.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: j.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      offsets: [
        { topic: 't', partition: 0, offset: 20n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
        { topic: 't', partition: 1, offset: 7n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 },
      ],
    });
    await c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [] });
    metrics.rebalances.inc({ group: 'g' });
    metrics.observeCommit(2, 3, 0);
    metrics.observeCommit(1, 3, 16);
    const text = await registry.metrics();
    expect(text).toContain('runnel_broker_groups{state="Stable"} 1');
    expect(text).toContain('runnel_broker_groups{state="Empty"} 1');
    expect(text).toContain('runnel_broker_groups{state="PreparingRebalance"} 0');
    expect(text).toContain('runnel_broker_group_members{group="g"} 1');
    expect(text).toContain('runnel_broker_group_generation{group="g"} 1');
    expect(text).toContain('runnel_broker_group_coordinator_partitions{state="active"} 3');
    expect(text).toContain('runnel_broker_group_committed_offset{group="g",topic="t",partition="0"} 20');
    expect(text).toContain('runnel_broker_group_committed_offset{group="g",topic="t",partition="1"} 7');
    // Lag only where this broker knows the high watermark (it leads the partition).
    expect(text).toContain('runnel_broker_group_lag{group="g",topic="t",partition="0"} 5');
    expect(text).not.toContain('runnel_broker_group_lag{group="g",topic="t",partition="1"}');
    expect(text).toContain('runnel_broker_group_offset_commits_total{result="ok"} 2');
    expect(text).toContain('runnel_broker_group_offset_commits_total{result="NOT_COORDINATOR"} 1');
    expect(text).toContain('runnel_broker_group_rebalances_total{group="g"} 1');
    metrics.unregister();
    expect(await registry.metrics()).not.toContain('runnel_broker_group');
  });

  it('leaves per-partition series out unless enabled', async () => {
    const { coordinator: c } = setupCoordinator({ offsetsTopicNumPartitions: 3 });
    const registry = new Registry();
    new GroupMetrics(registry, { coordinator: c, highWatermark: () => 1 }, { partitionLevel: false });
    await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 0n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    const text = await registry.metrics();
    expect(text).not.toContain('runnel_broker_group_committed_offset');
    expect(text).not.toContain('runnel_broker_group_lag');
  });
});
