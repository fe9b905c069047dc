import { CONFIG_TYPE_CODE, ConfigValue, formatValue, TopicConfigDef, validateValue } from './def';
import { ConfigError } from './errors';
import { KafkaConfig } from './kafka-config';
import { TOPIC_CONFIG_DEF_MAP, TOPIC_CONFIG_DEFS } from './topic-defs';

/** DescribeConfigs ConfigSource codes. */
export const ConfigSourceCode = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/**
 * Validates one topic config value (as it arrives in CreateTopics/AlterConfigs). Returns the
 * normalised text; throws ConfigError (key set) for an unknown name or a bad value, which the
 * controller answers with INVALID_CONFIG (40) and the error's message.
 */
export function validateTopicConfig(name: string, value: string | null): string {
  const def = TOPIC_CONFIG_DEF_MAP.get(name);
  if (!def) throw new ConfigError(`Unknown topic config name: ${name}`, name);
  if (value === null) throw new ConfigError(`Null value not supported for topic configs: ${name}`, name);
  const parsed = validateValue(def, value);
  return formatValue(def, parsed) ?? '';
}

/** Validates a whole set (CreateTopics configs or the result of an alter); returns normalised text values. */
export function validateTopicConfigs(configs: Record<string, string | null> | Array<{ name: string; value: string | null }>): Record<string, string> {
  const list = Array.isArray(configs) ? configs : Object.entries(configs).map(([name, value]) => ({ name, value }));
  const out: Record<string, string> = {};
  for (const { name, value } of list) out[name] = validateTopicConfig(name, value);
  return out;
}

/** The typed value of a topic config text (after validation). */
export function parseTopicConfigValue(name: string, text: string): ConfigValue {
  const def = TOPIC_CONFIG_DEF_MAP.get(name);
  if (!def) throw new ConfigError(`Unknown topic config name: ${name}`, name);
  return validateValue(def, text);
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** DescribeConfigs v0's isDefault. */
  isDefault: boolean;
  /** ConfigSourceCode (v1+). */
  configSource: number;
  isSensitive: boolean;
  synonyms: ConfigSynonym[];
  /** DescribeConfigs v3+ ConfigType code. */
  configType: number;
  documentation: string | null;
}

/** Broker keys a topic config's default is resolved from, in precedence order. */
function brokerSynonyms(def: TopicConfigDef): string[] {
  switch (def.name) {
    case 'retention.ms':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'];
    case 'segment.ms':
      return ['log.roll.ms', 'log.roll.hours'];
    case 'segment.jitter.ms':
      return ['log.roll.jitter.ms', 'log.roll.jitter.hours'];
    case 'flush.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
    default:
      return def.brokerDefault ? [def.brokerDefault] : [];
  }
}

/** The value a broker synonym contributes to the topic config, converted to the topic key's unit. */
function synonymValue(def: TopicConfigDef, broker: KafkaConfig, key: string): string | null {
  switch (key) {
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return String(broker.logRetentionMs());
    case 'log.roll.ms':
    case 'log.roll.hours':
      return String(broker.logRollMs());
    case 'log.roll.jitter.ms':
    case 'log.roll.jitter.hours':
      return String(broker.logRollJitterMs());
    case 'log.flush.interval.ms':
    case 'log.flush.scheduler.interval.ms':
      return formatValue(def, broker.logFlushIntervalMs());
    default: {
      const e = broker.entry(key);
      return e ? e.text : def.default ?? null;
    }
  }
}

/**
 * Effective defaults of every topic config on this broker (no topic overrides applied): the broker
 * synonym's value, converted, or Kafka's static default.
 */
export function topicConfigDefaults(broker: KafkaConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of TOPIC_CONFIG_DEFS) {
    const syn = brokerSynonyms(def);
    const v = syn.length > 0 ? synonymValue(def, broker, syn[0]) : def.default;
    out[def.name] = v ?? def.default ?? '';
  }
  return out;
}

/** Effective config of a topic: defaults overlaid with its overrides (text values). */
export function effectiveTopicConfig(broker: KafkaConfig, overrides: Record<string, string> = {}): Record<string, string> {
  return { ...topicConfigDefaults(broker), ...overrides };
}

/**
 * DescribeConfigs entries for a topic, Kafka style: each config's value and source
 * (DYNAMIC_TOPIC_CONFIG for an override, STATIC_BROKER_CONFIG when a broker synonym was set
 * explicitly, else DEFAULT_CONFIG), with synonyms in precedence order.
 */
export function describeTopicConfigs(broker: KafkaConfig, overrides: Record<string, string> = {}, keys?: string[] | null): DescribedConfig[] {
  const defs = keys && keys.length > 0 ? keys.map((k) => TOPIC_CONFIG_DEF_MAP.get(k)).filter((d): d is TopicConfigDef => !!d) : TOPIC_CONFIG_DEFS;
  return defs.map((def) => {
    const synonyms: ConfigSynonym[] = [];
    if (overrides[def.name] !== undefined) synonyms.push({ name: def.name, value: overrides[def.name], source: ConfigSourceCode.DYNAMIC_TOPIC_CONFIG });
    for (const key of brokerSynonyms(def)) {
      if (broker.isSet(key)) synonyms.push({ name: key, value: broker.entry(key)?.text ?? null, source: ConfigSourceCode.STATIC_BROKER_CONFIG });
    }
    const syn = brokerSynonyms(def);
    const defaultKey = syn.find((k) => broker.definition(k)?.default !== null && broker.definition(k)?.default !== undefined);
    if (defaultKey) synonyms.push({ name: defaultKey, value: broker.definition(defaultKey)?.default ?? null, source: ConfigSourceCode.DEFAULT_CONFIG });
    const first = synonyms[0];
    let value: string | null;
    let source: number;
    if (first && first.source === ConfigSourceCode.DYNAMIC_TOPIC_CONFIG) {
      value = first.value;
      source = first.source;
    } else {
      value = topicConfigDefaults(broker)[def.name] ?? def.default ?? null;
      source = first && first.source === ConfigSourceCode.STATIC_BROKER_CONFIG ? ConfigSourceCode.STATIC_BROKER_CONFIG : ConfigSourceCode.DEFAULT_CONFIG;
    }
    return {
      name: def.name,
      value,
      readOnly: false,
      isDefault: source === ConfigSourceCode.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: false,
      synonyms,
      configType: CONFIG_TYPE_CODE[def.type],
      documentation: def.doc,
    };
  });
}

/** DescribeConfigs entries for a broker resource (static config: STATIC_BROKER_CONFIG when set, else DEFAULT_CONFIG). */
export function describeBrokerConfigs(broker: KafkaConfig, keys?: string[] | null): DescribedConfig[] {
  const entries = broker.entries().filter((e) => e.def && (!keys || keys.length === 0 || keys.includes(e.name)));
  return entries.map((e) => {
    const def = e.def!;
    const source = e.source === 'default' ? ConfigSourceCode.DEFAULT_CONFIG : ConfigSourceCode.STATIC_BROKER_CONFIG;
    const sensitive = def.type === 'password';
    const value = sensitive ? null : e.text;
    const synonyms: ConfigSynonym[] = [{ name: e.name, value, source }];
    if (source !== ConfigSourceCode.DEFAULT_CONFIG && def.default !== undefined && def.default !== null) {
      synonyms.push({ name: e.name, value: def.default, source: ConfigSourceCode.DEFAULT_CONFIG });
    }
    return {
      name: e.name,
      value,
      readOnly: true,
      isDefault: source === ConfigSourceCode.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: sensitive,
      synonyms,
      configType: CONFIG_TYPE_CODE[def.type],
      documentation: def.doc,
    };
  });
}
