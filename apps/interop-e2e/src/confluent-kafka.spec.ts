// confluent-kafka-python 1.7.0 (librdkafka 2.0.2): AdminClient with its error cases, idempotent producer.
import { RunnelNode } from '@runnel/testing';
import { kcatConsume } from './support/kcat';
import { python } from './support/python';
import { startNode, withLogs } from './support/nodes';

let node: RunnelNode;

beforeAll(async () => {
  node = await startNode('confluent');
});

afterAll(async () => {
  await node?.cleanup();
});

// DescribeConfigs ConfigSource codes.
const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

describe('confluent-kafka-python', () => {
  it('AdminClient: create, describe, alter, extend and delete topics, with Kafka\'s errors', () =>
    withLogs(node, async () => {
      const r = await python<Record<string, any>>('ck_admin.py', { bootstrap: node.bootstrap, topic: 'ck-admin' });
      // librdkafka's names: TOPIC_EXCEPTION = Kafka's INVALID_TOPIC_EXCEPTION (17), UNKNOWN_TOPIC_OR_PART = 3.
      expect(r).toMatchObject({
        create: 'OK',
        create_existing: 'TOPIC_ALREADY_EXISTS',
        create_bad_config_value: 'INVALID_CONFIG',
        create_unknown_config: 'INVALID_CONFIG',
        create_bad_name: 'TOPIC_EXCEPTION',
        create_dot_name: 'TOPIC_EXCEPTION',
        create_too_long_name: 'TOPIC_EXCEPTION',
        create_bad_replication: 'INVALID_REPLICATION_FACTOR',
        create_zero_partitions: 'INVALID_PARTITIONS',
        alter: 'OK',
        alter_bad_value: 'INVALID_CONFIG',
        alter_missing_topic: 'UNKNOWN_TOPIC_OR_PART',
        create_partitions: 'OK',
        create_partitions_fewer: 'INVALID_PARTITIONS',
        partitions_after_create_partitions: 5,
        delete: 'OK',
        topic_gone: true,
        delete_missing: 'UNKNOWN_TOPIC_OR_PART',
      });
      expect(r.topics_after_create['ck-admin']).toBe(3);
      for (const failed of ['ck-admin-badvalue', 'ck-admin-badname', 'ck-admin-rf3', 'ck-admin-p0']) {
        expect(r.topics_after_create[failed]).toBeUndefined();
      }

      expect(r.describe['retention.ms']).toMatchObject({ value: '3600000', source: DYNAMIC_TOPIC_CONFIG, is_default: false });
      expect(r.describe['cleanup.policy']).toMatchObject({ value: 'delete', source: DEFAULT_CONFIG });
      expect(r.describe['max.message.bytes']).toMatchObject({ value: '1048588' });
      expect(r.describe['segment.bytes']).toMatchObject({ value: '1073741824' });

      expect(r.describe_after_alter['retention.ms'].value).toBe('7200000');
      expect(r.describe_after_alter['cleanup.policy'].value).toBe('compact');
      expect(r.describe_broker['num.partitions']).toMatchObject({ value: '1' });
      expect(r.describe_broker['log.dirs'].value).toBe(node.dataDir);
    }));

  it('idempotent producer with batches in flight: every record delivered once, offsets contiguous', () =>
    withLogs(node, async () => {
      const count = 20_000;
      const r = await python<Record<string, any>>('ck_idempotent.py', { bootstrap: node.bootstrap, topic: 'ck-idem', count, compression: 'zstd' });
      expect(r).toMatchObject({ delivered: count, error_count: 0, unflushed: 0, unique_offsets: true, contiguous: true });
      const msgs = await kcatConsume(node.bootstrap, 'ck-idem');
      expect(msgs).toHaveLength(count);
      expect(new Set(msgs.map((m) => m.payload)).size).toBe(count);
    }));
});
