import { ConfigError } from './errors';
import { KafkaConfig } from './kafka-config';
import { BROKER_CONFIG_DEFS } from './broker-defs';
import { TOPIC_CONFIG_DEFS } from './topic-defs';
import { ConfigSourceCode, describeTopicConfigs, describeBrokerConfigs, effectiveTopicConfig, topicConfigDefaults, validateTopicConfig, validateTopicConfigs } from './topic-config';

describe('topic configs', () => {
  it('every topic config names an existing broker config as its default', () => {
    const brokerKeys = new Set(BROKER_CONFIG_DEFS.map((d) => d.name));
    for (const d of TOPIC_CONFIG_DEFS) {
      if (d.brokerDefault !== null) expect([d.name, brokerKeys.has(d.brokerDefault)]).toEqual([d.name, true]);
    }
    const byName = Object.fromEntries(TOPIC_CONFIG_DEFS.map((d) => [d.name, d.brokerDefault]));
    expect(byName).toMatchObject({
      'retention.ms': 'log.retention.ms',
      'segment.bytes': 'log.segment.bytes',
      'cleanup.policy': 'log.cleanup.policy',
      'max.message.bytes': 'message.max.bytes',
      'min.insync.replicas': 'min.insync.replicas',
      'message.timestamp.type': 'log.message.timestamp.type',
      'compression.type': 'compression.type',
      'flush.messages': 'log.flush.interval.messages',
      'flush.ms': 'log.flush.interval.ms',
      'delete.retention.ms': 'log.cleaner.delete.retention.ms',
      'segment.ms': 'log.roll.ms',
    });
  });

  it('accepts valid values and normalises them', () => {
    expect(validateTopicConfig('retention.ms', ' 1000 ')).toBe('1000');
    expect(validateTopicConfig('retention.ms', '-1')).toBe('-1');
    expect(validateTopicConfig('cleanup.policy', 'compact, delete')).toBe('compact,delete');
    expect(validateTopicConfig('compression.type', 'zstd')).toBe('zstd');
    expect(validateTopicConfig('min.cleanable.dirty.ratio', '0.1')).toBe('0.1');
    expect(validateTopicConfig('flush.messages', '9223372036854775807')).toBe('9223372036854775807');
    expect(validateTopicConfigs({ 'segment.bytes': '1024', 'message.timestamp.type': 'LogAppendTime' })).toEqual({
      'segment.bytes': '1024',
      'message.timestamp.type': 'LogAppendTime',
    });
  });

  it.each([
    ['retention.ms', 'abc', /Invalid value abc for configuration retention.ms: Not a number of type LONG/],
    ['retention.ms', '-2', /Value must be at least -1/],
    ['segment.bytes', '10', /Value must be at least 14/],
    ['segment.bytes', '4294967296', /Not a number of type INT/],
    ['cleanup.policy', 'compacted', /Invalid value compacted for list/],
    ['cleanup.policy', '', /Empty list/],
    ['compression.type', 'brotli', /String must be one of/],
    ['message.timestamp.type', 'createtime', /CreateTime, LogAppendTime/],
    ['min.insync.replicas', '0', /at least 1/],
    ['min.cleanable.dirty.ratio', '1.5', /no more than 1/],
    ['preallocate', 'maybe', /true or false/],
    ['no.such.config', '1', /Unknown topic config name: no.such.config/],
    ['remote.storage.enable', 'true', /not supported/],
  ])('rejects %s=%s', (name, value, re) => {
    let err: unknown;
    try {
      validateTopicConfig(name, value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe(name);
    expect((err as Error).message).toMatch(re);
  });

  it('rejects null values', () => {
    expect(() => validateTopicConfig('retention.ms', null)).toThrow(/Null value not supported/);
  });

  it('derives defaults from the broker config', () => {
    const defaults = topicConfigDefaults(KafkaConfig.fromProps({}));
    expect(defaults).toMatchObject({
      'retention.ms': '604800000',
      'retention.bytes': '-1',
      'segment.bytes': '1073741824',
      'segment.ms': '604800000',
      'cleanup.policy': 'delete',
      'max.message.bytes': '1048588',
      'min.insync.replicas': '1',
      'message.timestamp.type': 'CreateTime',
      'compression.type': 'producer',
      'flush.messages': '9223372036854775807',
      'flush.ms': '9223372036854775807',
      'delete.retention.ms': '86400000',
    });
    const broker = KafkaConfig.fromProps({ 'log.retention.hours': '2', 'log.segment.bytes': '4096', 'message.max.bytes': '5000', 'log.cleanup.policy': 'compact' });
    expect(effectiveTopicConfig(broker, { 'segment.bytes': '8192' })).toMatchObject({
      'retention.ms': '7200000',
      'segment.bytes': '8192',
      'max.message.bytes': '5000',
      'cleanup.policy': 'compact',
    });
  });

  it('describes topic configs with Kafka\'s sources and synonyms', () => {
    const broker = KafkaConfig.fromProps({ 'log.retention.hours': '2' });
    const described = describeTopicConfigs(broker, { 'segment.bytes': '8192' }, ['retention.ms', 'segment.bytes', 'cleanup.policy']);
    const byName = Object.fromEntries(described.map((d) => [d.name, d]));
    expect(byName['segment.bytes']).toMatchObject({ value: '8192', configSource: ConfigSourceCode.DYNAMIC_TOPIC_CONFIG, isDefault: false });
    expect(byName['retention.ms']).toMatchObject({ value: '7200000', configSource: ConfigSourceCode.STATIC_BROKER_CONFIG });
    expect(byName['retention.ms'].synonyms[0]).toEqual({ name: 'log.retention.hours', value: '2', source: ConfigSourceCode.STATIC_BROKER_CONFIG });
    expect(byName['cleanup.policy']).toMatchObject({ value: 'delete', configSource: ConfigSourceCode.DEFAULT_CONFIG, isDefault: true, configType: 7 });
    expect(describeTopicConfigs(broker, {}).length).toBe(TOPIC_CONFIG_DEFS.length);
  });

  it('describes broker configs', () => {
    const broker = KafkaConfig.fromProps({ 'num.partitions': '3' });
    const [np] = describeBrokerConfigs(broker, ['num.partitions']);
    expect(np).toMatchObject({ name: 'num.partitions', value: '3', configSource: ConfigSourceCode.STATIC_BROKER_CONFIG, readOnly: true });
    const all = describeBrokerConfigs(broker);
    expect(all.find((d) => d.name === 'log.segment.bytes')).toMatchObject({ value: '1073741824', configSource: ConfigSourceCode.DEFAULT_CONFIG });
  });
});
