// kafka-python 2.0.2: its version probe (ApiVersions v0 pipelined with Metadata v0), produce,
// manual-assignment consume, admin create/delete.
import { RunnelNode } from '@runnel/testing';
import { python } from './support/python';
import { startNode, withLogs } from './support/nodes';

let node: RunnelNode;

beforeAll(async () => {
  node = await startNode('kafka-python');
});

afterAll(async () => {
  await node?.cleanup();
});

describe('kafka-python', () => {
  it('probes the broker version (ApiVersions v0 + Metadata v0 pipelined) and infers >= 2.1', () =>
    withLogs(node, async () => {
      const r = await python<{ version: number[]; check_ms: number }>('kp_client.py', { mode: 'connect', bootstrap: node.bootstrap });
      // (2,1,0)+ means kafka-python uses Produce v7 / magic v2 record batches.
      expect(r.version.length).toBeGreaterThanOrEqual(2);
      expect(r.version[0] * 100 + r.version[1]).toBeGreaterThanOrEqual(201);
      expect(r.check_ms).toBeLessThan(2000);
    }));

  it.each([null, 'gzip'])('produces (compression %s) and consumes with manual assignment', (compression) =>
    withLogs(node, async () => {
      const topic = `kp-${compression ?? 'none'}`;
      const r = await python<Record<string, any>>('kp_client.py', { mode: 'produce_consume', bootstrap: node.bootstrap, topic, count: 300, compression });
      expect(r.first_offset).toBe(0);
      expect(r.offsets_contiguous).toBe(true);
      expect(r.beginning_offsets).toBe(0);
      expect(r.end_offsets).toBe(300);
      expect(r.consumed).toBe(300);
      expect(r.values_in_order).toBe(true);
      expect(r.first).toMatchObject({ offset: 0, key: 'k0', value: 'kp-0', headers: [['idx', '0']], timestamp_type: 0 });
      expect(r.last).toMatchObject({ offset: 299, value: 'kp-299' });
      expect(r.seek_middle_value).toBe('kp-150');
    }));

  it('produces with acks=0 (no response expected, none sent) and the records arrive', () =>
    withLogs(node, async () => {
      const r = await python<Record<string, any>>('kp_client.py', { mode: 'produce_consume', bootstrap: node.bootstrap, topic: 'kp-acks0', count: 300, acks: 0 });
      expect(r.consumed).toBe(300);
      expect(r.values_in_order).toBe(true);
      expect(r.end_offsets).toBe(300);
    }));

  it('admin client creates and deletes topics', () =>
    withLogs(node, async () => {
      const r = await python<Record<string, any>>('kp_client.py', { mode: 'admin', bootstrap: node.bootstrap, topic: 'kp-admin' });
      expect(r).toMatchObject({
        create: 'OK',
        create_existing: 'TopicAlreadyExistsError',
        create_bad_name: 'InvalidTopicError',
        listed: true,
        describe_partitions: [2],
        create_partitions: 'OK',
        partitions_after: [4],
        alter_configs: 'OK',
        delete: 'OK',
        listed_after_delete: false,
        delete_missing: 'UnknownTopicOrPartitionError',
      });
      expect(r.describe_configs).toMatchObject({ 'retention.ms': '5555', 'cleanup.policy': 'delete' });
    }));
});
