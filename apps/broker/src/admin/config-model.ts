// How the broker describes configs the way Kafka does: every topic config falls back to a broker config
// (its "synonym"), broker configs come from dynamic per-broker overrides, dynamic cluster defaults, the
// static properties/--override/env values, or the built-in default, in that order. DescribeConfigs and
// CreateTopics v5+ both report values, sources, synonyms, read-only and sensitive flags from here.
import { ConfigSource, ConfigSourceId, ConfigTypeId } from './constants';

export type ConfigKind = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

export interface ConfigDefinition {
  readonly name: string;
  readonly kind: ConfigKind;
  /** Kafka's string form of the default, or null when the key has no default. */
  readonly defaultValue: string | null;
  readonly doc: string | null;
  /** Broker configs: true when AlterConfigs may change it at runtime (otherwise it is reported read-only). */
  readonly dynamic?: boolean;
}

export interface TopicConfigDefinition extends ConfigDefinition {
  /** The broker config this topic config defaults from (Kafka's TopicConfigSynonyms), or null. */
  readonly brokerSynonym: string | null;
}

export interface ConfigCatalog {
  readonly topic: ReadonlyMap<string, TopicConfigDefinition>;
  readonly broker: ReadonlyMap<string, ConfigDefinition>;
}

/** Where each broker-level value comes from. */
export interface BrokerConfigState {
  readonly brokerId: number;
  /** Values set explicitly at startup (properties file, --override, KAFKA_* env): STATIC_BROKER_CONFIG. */
  readonly staticConfigs: ReadonlyMap<string, string>;
  /** Dynamic overrides for this broker (ConfigRecord resource "<id>"). */
  readonly dynamicBroker: ReadonlyMap<string, string>;
  /** Dynamic cluster-wide defaults (ConfigRecord resource ""). */
  readonly dynamicDefault: ReadonlyMap<string, string>;
}

/** One DescribeConfigsResourceResult entry (field names as the codec expects); shared with the controller. */
export type { ConfigSynonym, DescribedConfig } from '@runnel/config';
import type { ConfigSynonym, DescribedConfig } from '@runnel/config';

export interface DescribeOptions {
  /** null or empty = every key (Kafka treats both the same). */
  keys?: readonly string[] | null;
  includeSynonyms?: boolean;
  includeDocumentation?: boolean;
}

/**
 * Broker configs that several keys feed, with the factor that converts each into the first key's unit.
 * The first key wins when set (log.retention.ms over .minutes over .hours).
 */
const SYNONYM_GROUPS: ReadonlyArray<ReadonlyArray<readonly [string, number]>> = [
  [
    ['log.retention.ms', 1],
    ['log.retention.minutes', 60_000],
    ['log.retention.hours', 3_600_000],
  ],
  [
    ['log.roll.ms', 1],
    ['log.roll.hours', 3_600_000],
  ],
  [
    ['log.roll.jitter.ms', 1],
    ['log.roll.jitter.hours', 3_600_000],
  ],
  [
    ['log.flush.interval.ms', 1],
    ['log.flush.scheduler.interval.ms', 1],
  ],
];

/** The broker keys that feed `name`, most specific first (just [name] for ordinary keys). */
export function brokerSynonymNames(name: string): string[] {
  const g = SYNONYM_GROUPS.find((group) => group.some(([n]) => n === name));
  return g ? g.map(([n]) => n) : [name];
}

function unitFactor(primary: string, synonym: string): number {
  const g = SYNONYM_GROUPS.find((group) => group[0][0] === primary);
  return g?.find(([n]) => n === synonym)?.[1] ?? 1;
}

export function configTypeId(kind: ConfigKind | undefined): number {
  switch (kind) {
    case 'boolean':
      return ConfigTypeId.BOOLEAN;
    case 'string':
      return ConfigTypeId.STRING;
    case 'int':
      return ConfigTypeId.INT;
    case 'short':
      return ConfigTypeId.SHORT;
    case 'long':
      return ConfigTypeId.LONG;
    case 'double':
      return ConfigTypeId.DOUBLE;
    case 'list':
      return ConfigTypeId.LIST;
    case 'class':
      return ConfigTypeId.CLASS;
    case 'password':
      return ConfigTypeId.PASSWORD;
    default:
      return ConfigTypeId.UNKNOWN;
  }
}

/**
 * Every value a broker key group has, in Kafka's precedence order: per-broker dynamic, cluster dynamic
 * default, static, built-in default (within one level, the group's own order).
 */
export function brokerSynonyms(names: readonly string[], catalog: ConfigCatalog, state: BrokerConfigState, sensitive: boolean): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const levels: Array<[(n: string) => string | null | undefined, ConfigSourceId]> = [
    [(n) => state.dynamicBroker.get(n), ConfigSource.DYNAMIC_BROKER_CONFIG],
    [(n) => state.dynamicDefault.get(n), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [(n) => state.staticConfigs.get(n), ConfigSource.STATIC_BROKER_CONFIG],
    [(n) => catalog.broker.get(n)?.defaultValue, ConfigSource.DEFAULT_CONFIG],
  ];
  for (const [lookup, source] of levels) {
    for (const n of names) {
      const v = lookup(n);
      if (v === undefined || v === null) continue;
      out.push({ name: n, value: sensitive ? null : v, source });
    }
  }
  return out;
}

/** Convert a synonym's value into the primary key's unit (hours -> ms); negative durations mean "unlimited" (-1). */
function convertToPrimaryUnit(primary: string, syn: ConfigSynonym): string | null {
  if (syn.value === null) return null;
  const factor = unitFactor(primary, syn.name);
  if (factor === 1) return syn.value;
  const n = Number(syn.value);
  if (!Number.isFinite(n) || !/^\s*-?\d+\s*$/.test(syn.value)) return syn.value;
  const ms = n * factor;
  return ms < 0 ? '-1' : String(ms);
}

function wantKey(opts: DescribeOptions, name: string): boolean {
  return !opts.keys || opts.keys.length === 0 || opts.keys.includes(name);
}

/** Describe one topic config given the topic's overrides. */
export function describeTopicConfig(
  def: TopicConfigDefinition,
  overrides: ReadonlyMap<string, string>,
  catalog: ConfigCatalog,
  state: BrokerConfigState,
  opts: DescribeOptions = {},
): DescribedConfig {
  const sensitive = def.kind === 'password';
  const primary = def.brokerSynonym;
  const inherited = primary ? brokerSynonyms(brokerSynonymNames(primary), catalog, state, sensitive) : [];
  const all: ConfigSynonym[] = [];
  const override = overrides.get(def.name);
  if (override !== undefined) all.push({ name: def.name, value: sensitive ? null : override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  all.push(...inherited);

  let value: string | null;
  if (override !== undefined) value = override;
  else if (inherited.length > 0 && primary) value = convertToPrimaryUnit(primary, inherited[0]);
  else value = def.defaultValue;
  const source = all.length > 0 ? all[0].source : ConfigSource.DEFAULT_CONFIG;
  return {
    name: def.name,
    value: sensitive ? null : value,
    readOnly: false,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: sensitive,
    synonyms: opts.includeSynonyms ? all : [],
    configType: configTypeId(def.kind),
    documentation: opts.includeDocumentation ? def.doc : null,
  };
}

/** Every (or the requested) topic config of a topic, sorted by name. */
export function describeTopicConfigs(
  overrides: ReadonlyMap<string, string>,
  catalog: ConfigCatalog,
  state: BrokerConfigState,
  opts: DescribeOptions = {},
): DescribedConfig[] {
  const names = [...catalog.topic.keys()].filter((n) => wantKey(opts, n)).sort();
  return names.map((n) => describeTopicConfig(catalog.topic.get(n)!, overrides, catalog, state, opts));
}

/** The effective topic config map (name -> value) for a topic with these overrides. */
export function effectiveTopicConfig(
  overrides: ReadonlyMap<string, string>,
  catalog: ConfigCatalog,
  state: BrokerConfigState,
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const d of describeTopicConfigs(overrides, catalog, state)) out.set(d.name, d.value);
  return out;
}

/** Describe one broker config of this broker (per-broker view: every level counts). */
export function describeBrokerConfig(name: string, catalog: ConfigCatalog, state: BrokerConfigState, opts: DescribeOptions = {}): DescribedConfig {
  const def = catalog.broker.get(name);
  // Kafka treats keys it cannot type (custom dynamic keys) as possibly sensitive.
  const sensitive = def ? def.kind === 'password' : true;
  const group = brokerSynonymNames(name);
  const all = brokerSynonyms(group, catalog, state, sensitive);
  // Only synonyms from this key onwards count: describing log.retention.ms must not report the
  // value of log.retention.hours as its own.
  const firstOwn = all.findIndex((s) => s.name === name);
  const relevant = firstOwn < 0 ? [] : all.slice(firstOwn);
  const own = all.find((s) => s.name === name);
  const source = relevant.length > 0 ? relevant[0].source : ConfigSource.DEFAULT_CONFIG;
  return {
    name,
    value: sensitive ? null : (own?.value ?? null),
    // Unknown (custom) keys can only exist because someone set them dynamically.
    readOnly: def ? !def.dynamic : false,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: sensitive,
    synonyms: opts.includeSynonyms ? relevant : [],
    configType: configTypeId(def?.kind),
    documentation: opts.includeDocumentation ? (def?.doc ?? null) : null,
  };
}

/** All configs of broker `state.brokerId` (resource name "<id>"), sorted by name. */
export function describeBrokerConfigs(catalog: ConfigCatalog, state: BrokerConfigState, opts: DescribeOptions = {}): DescribedConfig[] {
  const names = new Set<string>([
    ...catalog.broker.keys(),
    ...state.staticConfigs.keys(),
    ...state.dynamicDefault.keys(),
    ...state.dynamicBroker.keys(),
  ]);
  return [...names]
    .filter((n) => wantKey(opts, n))
    .sort()
    .map((n) => describeBrokerConfig(n, catalog, state, opts));
}

/** The cluster-wide dynamic default resource (resource name ""): only keys set there. */
export function describeClusterDefaultConfigs(catalog: ConfigCatalog, state: BrokerConfigState, opts: DescribeOptions = {}): DescribedConfig[] {
  return [...state.dynamicDefault.keys()]
    .filter((n) => wantKey(opts, n))
    .sort()
    .map((name) => {
      const def = catalog.broker.get(name);
      const sensitive = def ? def.kind === 'password' : true;
      const value = state.dynamicDefault.get(name) ?? null;
      const synonyms = brokerSynonyms(brokerSynonymNames(name), catalog, { ...state, dynamicBroker: new Map() }, sensitive);
      return {
        name,
        value: sensitive ? null : value,
        readOnly: false,
        isDefault: false,
        configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        isSensitive: sensitive,
        synonyms: opts.includeSynonyms ? synonyms : [],
        configType: configTypeId(def?.kind),
        documentation: opts.includeDocumentation ? (def?.doc ?? null) : null,
      };
    });
}
