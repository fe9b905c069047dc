import { ConfigSource, ConfigTypeId } from './constants';
import {
  BrokerConfigState,
  ConfigCatalog,
  ConfigDefinition,
  TopicConfigDefinition,
  brokerSynonymNames,
  describeBrokerConfig,
  describeBrokerConfigs,
  describeClusterDefaultConfigs,
  describeTopicConfig,
  describeTopicConfigs,
  effectiveTopicConfig,
} from './config-model';
import { defaultCatalog, effectiveBrokerValue } from './catalog';

const broker = (name: string, kind: ConfigDefinition['kind'], defaultValue: string | null, dynamic = true): ConfigDefinition => ({
  name,
  kind,
  defaultValue,
  doc: `doc of ${name}`,
  dynamic,
});
const topic = (name: string, kind: ConfigDefinition['kind'], defaultValue: string | null, brokerSynonym: string | null): TopicConfigDefinition => ({
  name,
  kind,
  defaultValue,
  doc: `doc of ${name}`,
  brokerSynonym,
});

const catalog: ConfigCatalog = {
  topic: new Map(
    [
      topic('retention.ms', 'long', '604800000', 'log.retention.ms'),
      topic('cleanup.policy', 'list', 'delete', 'log.cleanup.policy'),
      topic('max.message.bytes', 'int', '1048588', 'message.max.bytes'),
      topic('leader.replication.throttled.replicas', 'list', '', null),
    ].map((d) => [d.name, d]),
  ),
  broker: new Map(
    [
      broker('log.retention.ms', 'long', null),
      broker('log.retention.minutes', 'int', null),
      broker('log.retention.hours', 'int', '168'),
      broker('log.cleanup.policy', 'list', 'delete'),
      broker('message.max.bytes', 'int', '1048588'),
      broker('log.dirs', 'list', null, false),
      broker('ssl.key.password', 'password', null),
    ].map((d) => [d.name, d]),
  ),
};

const state = (over: Partial<BrokerConfigState> = {}): BrokerConfigState => ({
  brokerId: 1,
  staticConfigs: new Map(),
  dynamicBroker: new Map(),
  dynamicDefault: new Map(),
  ...over,
});

describe('config model', () => {
  it('groups the retention keys as synonyms', () => {
    expect(brokerSynonymNames('log.retention.hours')).toEqual(['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']);
    expect(brokerSynonymNames('num.partitions')).toEqual(['num.partitions']);
  });

  it('reports a topic config at its default with DEFAULT_CONFIG and the broker default as synonym', () => {
    const d = describeTopicConfig(catalog.topic.get('retention.ms')!, new Map(), catalog, state(), { includeSynonyms: true });
    expect(d.value).toBe('604800000');
    expect(d.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(d.isDefault).toBe(true);
    expect(d.readOnly).toBe(false);
    expect(d.synonyms).toEqual([{ name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG }]);
    expect(d.configType).toBe(ConfigTypeId.LONG);
    expect(d.documentation).toBeNull();
  });

  it('converts a static log.retention.hours into retention.ms and marks it STATIC_BROKER_CONFIG', () => {
    const d = describeTopicConfig(catalog.topic.get('retention.ms')!, new Map(), catalog, state({ staticConfigs: new Map([['log.retention.hours', '24']]) }), {
      includeSynonyms: true,
    });
    expect(d.value).toBe(String(24 * 3600000));
    expect(d.configSource).toBe(ConfigSource.STATIC_BROKER_CONFIG);
    expect(d.synonyms.map((s) => s.source)).toEqual([ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]);
  });

  it('a topic override wins and comes first among the synonyms', () => {
    const d = describeTopicConfig(
      catalog.topic.get('retention.ms')!,
      new Map([['retention.ms', '1000']]),
      catalog,
      state({ dynamicDefault: new Map([['log.retention.ms', '5000']]) }),
      { includeSynonyms: true, includeDocumentation: true },
    );
    expect(d.value).toBe('1000');
    expect(d.configSource).toBe(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    expect(d.isDefault).toBe(false);
    expect(d.synonyms[0]).toEqual({ name: 'retention.ms', value: '1000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(d.synonyms[1]).toEqual({ name: 'log.retention.ms', value: '5000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(d.documentation).toBe('doc of retention.ms');
  });

  it('dynamic per-broker beats the dynamic cluster default, which beats static', () => {
    const s = state({
      staticConfigs: new Map([['message.max.bytes', '100']]),
      dynamicDefault: new Map([['message.max.bytes', '200']]),
      dynamicBroker: new Map([['message.max.bytes', '300']]),
    });
    const d = describeTopicConfig(catalog.topic.get('max.message.bytes')!, new Map(), catalog, s, { includeSynonyms: true });
    expect(d.value).toBe('300');
    expect(d.configSource).toBe(ConfigSource.DYNAMIC_BROKER_CONFIG);
    expect(d.synonyms.map((x) => x.value)).toEqual(['300', '200', '100', '1048588']);
  });

  it('omits synonyms unless asked and filters by key (empty list = all)', () => {
    const all = describeTopicConfigs(new Map(), catalog, state(), { keys: [] });
    expect(all.map((d) => d.name)).toEqual(['cleanup.policy', 'leader.replication.throttled.replicas', 'max.message.bytes', 'retention.ms']);
    expect(all.every((d) => d.synonyms.length === 0)).toBe(true);
    const some = describeTopicConfigs(new Map(), catalog, state(), { keys: ['cleanup.policy', 'nope'] });
    expect(some.map((d) => d.name)).toEqual(['cleanup.policy']);
  });

  it('a topic config without broker synonym uses its own default', () => {
    const d = describeTopicConfig(catalog.topic.get('leader.replication.throttled.replicas')!, new Map(), catalog, state(), { includeSynonyms: true });
    expect(d.value).toBe('');
    expect(d.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(d.synonyms).toEqual([]);
    expect(d.configType).toBe(ConfigTypeId.LIST);
  });

  it('effective topic config merges overrides with defaults', () => {
    const eff = effectiveTopicConfig(new Map([['cleanup.policy', 'compact']]), catalog, state());
    expect(eff.get('cleanup.policy')).toBe('compact');
    expect(eff.get('retention.ms')).toBe('604800000');
  });

  it('describes broker configs with read-only flags, sensitivity and sources', () => {
    const s = state({ staticConfigs: new Map([['log.dirs', '/tmp/x'], ['ssl.key.password', 'secret']]) });
    const all = describeBrokerConfigs(catalog, s, { includeSynonyms: true });
    const dirs = all.find((d) => d.name === 'log.dirs')!;
    expect(dirs).toMatchObject({ value: '/tmp/x', readOnly: true, configSource: ConfigSource.STATIC_BROKER_CONFIG, isSensitive: false });
    const pw = all.find((d) => d.name === 'ssl.key.password')!;
    expect(pw).toMatchObject({ value: null, isSensitive: true, configType: ConfigTypeId.PASSWORD });
    expect(pw.synonyms.every((x) => x.value === null)).toBe(true);
    const hours = all.find((d) => d.name === 'log.retention.hours')!;
    expect(hours).toMatchObject({ value: '168', readOnly: false, configSource: ConfigSource.DEFAULT_CONFIG, isDefault: true });
  });

  it('describing log.retention.ms does not borrow the value of log.retention.hours', () => {
    const s = state({ staticConfigs: new Map([['log.retention.hours', '24']]) });
    const ms = describeBrokerConfig('log.retention.ms', catalog, s, { includeSynonyms: true });
    expect(ms.value).toBeNull();
    expect(ms.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(ms.synonyms).toEqual([]);
    const h = describeBrokerConfig('log.retention.hours', catalog, s, { includeSynonyms: true });
    expect(h.value).toBe('24');
    expect(h.configSource).toBe(ConfigSource.STATIC_BROKER_CONFIG);
  });

  it('a custom dynamic key is listed, sensitive and writable', () => {
    const s = state({ dynamicBroker: new Map([['my.custom', 'x']]) });
    const d = describeBrokerConfig('my.custom', catalog, s);
    expect(d).toMatchObject({ value: null, isSensitive: true, readOnly: false, configSource: ConfigSource.DYNAMIC_BROKER_CONFIG, configType: 0 });
  });

  it('the cluster default resource lists only dynamic defaults', () => {
    const s = state({ dynamicDefault: new Map([['message.max.bytes', '2000']]) });
    const list = describeClusterDefaultConfigs(catalog, s, { includeSynonyms: true });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'message.max.bytes', value: '2000', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(list[0].synonyms.map((x) => x.source)).toEqual([ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]);
  });

  it('effectiveBrokerValue follows precedence and units', () => {
    expect(effectiveBrokerValue('message.max.bytes', catalog, state())).toBe('1048588');
    expect(effectiveBrokerValue('message.max.bytes', catalog, state({ dynamicDefault: new Map([['message.max.bytes', '7']]) }))).toBe('7');
    expect(effectiveBrokerValue('log.retention.ms', catalog, state())).toBe(String(168 * 3600000));
    expect(effectiveBrokerValue('log.retention.ms', catalog, state({ staticConfigs: new Map([['log.retention.minutes', '2']]) }))).toBe('120000');
    expect(effectiveBrokerValue('no.such.key', catalog, state())).toBeNull();
  });

  it('the real catalog has Kafka topic configs with broker synonyms', () => {
    const c = defaultCatalog();
    expect(c.topic.get('retention.ms')?.brokerSynonym).toBe('log.retention.ms');
    // Kafka's dynamic keys: topic-config synonyms (whole groups) and a few pools; the rest is read-only.
    expect(c.broker.get('num.partitions')?.dynamic).toBe(false);
    expect(c.broker.get('log.dirs')?.dynamic).toBe(false);
    expect(c.broker.get('log.retention.hours')?.dynamic).toBe(true);
    expect(c.broker.get('message.max.bytes')?.dynamic).toBe(true);
    expect(c.broker.get('num.io.threads')?.dynamic).toBe(true);
    const d = describeTopicConfigs(new Map(), c, state(), { includeDocumentation: true });
    expect(d.length).toBeGreaterThan(10);
    expect(d.every((x) => typeof x.documentation === 'string')).toBe(true);
  });
});
