import { atLeast, between, listOf, LONG_MAX, nonEmptyList, all, oneOf, oneOfIgnoreCase, TopicConfigDef } from './def';
import { COMPRESSION_TYPES } from './broker-defs';

function t(name: string, type: TopicConfigDef['type'], def: string, brokerDefault: string | null, doc: string, extra: Partial<TopicConfigDef> = {}): TopicConfigDef {
  return { name, type, default: def, brokerDefault, doc, importance: 'medium', ...extra };
}

/**
 * Topic-level configs with Kafka's names. `default` is Kafka's static default; the effective default
 * of a topic is the broker config named by `brokerDefault` when that is set (see effectiveTopicConfigs).
 */
export const TOPIC_CONFIG_DEFS: TopicConfigDef[] = [
  t('cleanup.policy', 'list', 'delete', 'log.cleanup.policy', 'delete (drop old segments), compact (keep the latest value per key), or both.', { validator: all(nonEmptyList, listOf('delete', 'compact')) }),
  t('compression.type', 'string', 'producer', 'compression.type', 'Final compression of the topic: uncompressed, zstd, lz4, snappy, gzip or producer.', { validator: oneOfIgnoreCase(...COMPRESSION_TYPES) }),
  t('compression.gzip.level', 'int', '-1', 'compression.gzip.level', 'Gzip level when compression.type=gzip.', { validator: between(-1, 9) }),
  t('compression.lz4.level', 'int', '9', 'compression.lz4.level', 'LZ4 level when compression.type=lz4.', { validator: between(1, 17) }),
  t('compression.zstd.level', 'int', '3', 'compression.zstd.level', 'Zstd level when compression.type=zstd.', { validator: between(-131072, 22) }),
  t('delete.retention.ms', 'long', '86400000', 'log.cleaner.delete.retention.ms', 'How long tombstones are kept in a compacted topic.', { validator: atLeast(0) }),
  t('file.delete.delay.ms', 'long', '60000', 'log.segment.delete.delay.ms', 'Delay before a deleted segment is removed from disk.', { validator: atLeast(0) }),
  t('flush.messages', 'long', LONG_MAX, 'log.flush.interval.messages', 'Messages written before an fsync is forced.', { validator: atLeast(1) }),
  t('flush.ms', 'long', LONG_MAX, 'log.flush.interval.ms', 'Milliseconds before an fsync is forced.', { validator: atLeast(0) }),
  t('follower.replication.throttled.replicas', 'list', '', null, 'Replicas whose follower replication is throttled (partition:broker,... or *).', {}),
  t('leader.replication.throttled.replicas', 'list', '', null, 'Replicas whose leader replication is throttled (partition:broker,... or *).', {}),
  t('index.interval.bytes', 'int', '4096', 'log.index.interval.bytes', 'Bytes between offset index entries.', { validator: atLeast(0) }),
  t('local.retention.bytes', 'long', '-2', 'log.local.retention.bytes', 'Local bytes kept with tiered storage (-2 = retention.bytes).', { validator: atLeast(-2) }),
  t('local.retention.ms', 'long', '-2', 'log.local.retention.ms', 'Local time kept with tiered storage (-2 = retention.ms).', { validator: atLeast(-2) }),
  t('max.compaction.lag.ms', 'long', LONG_MAX, 'log.cleaner.max.compaction.lag.ms', 'Maximum time a record stays ineligible for compaction.', { validator: atLeast(1) }),
  t('max.message.bytes', 'int', '1048588', 'message.max.bytes', 'Largest record batch accepted (after compression).', { validator: atLeast(0) }),
  t('message.timestamp.after.max.ms', 'long', '3600000', 'log.message.timestamp.after.max.ms', 'Maximum amount a record timestamp may be in the future.', { validator: atLeast(0) }),
  t('message.timestamp.before.max.ms', 'long', LONG_MAX, 'log.message.timestamp.before.max.ms', 'Maximum amount a record timestamp may be in the past.', { validator: atLeast(0) }),
  t('message.timestamp.type', 'string', 'CreateTime', 'log.message.timestamp.type', 'CreateTime (producer timestamps) or LogAppendTime (broker time).', { validator: oneOf('CreateTime', 'LogAppendTime') }),
  t('min.cleanable.dirty.ratio', 'double', '0.5', 'log.cleaner.min.cleanable.ratio', 'Dirty ratio above which the log is compacted.', { validator: between(0, 1) }),
  t('min.compaction.lag.ms', 'long', '0', 'log.cleaner.min.compaction.lag.ms', 'Minimum time a record stays uncompacted.', { validator: atLeast(0) }),
  t('min.insync.replicas', 'int', '1', 'min.insync.replicas', 'Minimum in-sync replicas for acks=all writes.', { validator: atLeast(1) }),
  t('preallocate', 'boolean', 'false', 'log.preallocate', 'Preallocate segment files.', {}),
  t('remote.storage.enable', 'boolean', 'false', null, 'Tiered storage (not supported by Runnel; must stay false).', {
    validator: (v) => (v === true ? 'Tiered storage is not supported' : undefined),
  }),
  t('retention.bytes', 'long', '-1', 'log.retention.bytes', 'Maximum partition size before old segments are deleted; -1 = unlimited.', {}),
  t('retention.ms', 'long', '604800000', 'log.retention.ms', 'How long records are kept; -1 = forever.', { validator: atLeast(-1) }),
  t('segment.bytes', 'int', '1073741824', 'log.segment.bytes', 'Segment file size.', { validator: atLeast(14) }),
  t('segment.index.bytes', 'int', '10485760', 'log.index.size.max.bytes', 'Size of the offset index per segment.', { validator: atLeast(4) }),
  t('segment.jitter.ms', 'long', '0', 'log.roll.jitter.ms', 'Maximum random jitter subtracted from segment.ms.', { validator: atLeast(0) }),
  t('segment.ms', 'long', '604800000', 'log.roll.ms', 'Time after which a segment is rolled even if not full.', { validator: atLeast(1) }),
  t('unclean.leader.election.enable', 'boolean', 'false', 'unclean.leader.election.enable', 'Allow out-of-sync replicas to become leader.', {}),
];

export const TOPIC_CONFIG_DEF_MAP: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));
