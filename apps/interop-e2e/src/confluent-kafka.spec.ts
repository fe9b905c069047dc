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
      expect(r.create).toBe('OK');
      expect(r.create_existing).toBe('TOPIC_ALREADY_EXISTS');
      expect(r.create_bad_config_value).toBe('INVALID_CONFIG');
      expect(r.create_unknown_config).toBe('INVALID_CONFIG');
      expect(r.create_bad_name).toBe('INVALID_TOPIC_EXCEPTION');
      expect(r.create_dot_name).toBe('INVALID_TOPIC_EXCEPTION');
      expect(r.create_too_long_name).toBe('INVALID_TOPIC_EXCEPTION');
      expect(r.create_bad_replication).toBe('INVALID_REPLICATION_FACTOR');
      expect(r.create_zero_partitions).toBe('INVALID_PARTITIONS');
      expect(r.topics_after_create['ck-admin']).toBe(3);
      for (const failed of ['ck-admin-badvalue', 'ck-admin-badname', 'ck-admin-rf3', 'ck-admin-p0']) {
        expect(r.topics_after_create[failed]).toBeUndefined();
      }

      expect(r.describe['retention.ms']).toMatchObject({ value: '3600000', source: DYNAMIC_TOPIC_CONFIG, is_default: false });
      expect(r.describe['cleanup.policy']).toMatchObject({ value: 'delete', source: DEFAULT_CONFIG });
      expect(r.describe['max.message.bytes']).toMatchObject({ value: '1048588' });
      expect(r.describe['segment.bytes']).toMatchObject({ value: '1073741824' });

      expect(r.alter).toBe('OK');
      expect(r.describe_after_alter['retention.ms'].value).toBe('7200000');
      expect(r.describe_after_alter['cleanup.policy'].value).toBe('compact');
      expect(r.alter_bad_value).toBe('INVALID_CONFIG');
      expect(r.alter_missing_topic).toBe('UNKNOWN_TOPIC_OR_PART');
      expect(r.describe_broker['num.partitions']).toMatchObject({ value: '1' });
      expect(r.describe_broker['log.dirs'].value).toBe(node.dataDir);

      expect(r.create_partitions).toBe('OK');
      expect(r.create_partitions_fewer).toBe('INVALID_PARTITIONS');
      expect(r.partitions_after_create_partitions).toBe(5);

      expect(r.delete).toBe('OK');
      expect(r.topic_gone).toBe(true);
      expect(r.delete_missing).toBe('UNKNOWN_TOPIC_OR_PART');
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
