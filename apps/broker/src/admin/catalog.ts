// Bridges @runnel/config's definitions and the broker's live state (static config + metadata image) into the
// plain shapes config-model.ts works on, so the describe logic stays pure.
import { BROKER_CONFIG_DEFS, TOPIC_CONFIG_DEFS } from '@runnel/config';
import type { ConfigDef, KafkaConfig, TopicConfigDef } from '@runnel/config';
import type { BrokerConfigState, ConfigCatalog, ConfigDefinition, TopicConfigDefinition } from './config-model';
import { brokerSynonymNames } from './config-model';

/**
 * Broker keys Kafka lets AlterConfigs change at runtime besides the topic-config synonyms (thread pools, cleaner,
 * connection quotas, producer expiry). Everything else is read-only, so DescribeConfigs reports it that way and
 * AlterConfigs refuses it with INVALID_REQUEST, as Kafka does.
 */
const OTHER_DYNAMIC_BROKER_KEYS = new Set([
  'log.cleaner.threads',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'num.network.threads',
  'num.io.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'max.connections',
  'max.connections.per.ip',
  'producer.id.expiration.ms',
]);

function toDefinition(d: ConfigDef, dynamic: boolean): ConfigDefinition {
  return {
    name: d.name,
    kind: d.type,
    defaultValue: d.default === undefined ? null : d.default,
    doc: d.doc ?? null,
    dynamic,
  };
}

let cached: ConfigCatalog | null = null;

/** The catalog of every topic and broker config this broker knows (built once). */
export function defaultCatalog(): ConfigCatalog {
  if (cached) return cached;
  const topic = new Map<string, TopicConfigDefinition>();
  const synonymKeys = new Set<string>();
  for (const d of TOPIC_CONFIG_DEFS as readonly TopicConfigDef[]) {
    topic.set(d.name, { ...toDefinition(d, true), brokerSynonym: d.brokerDefault ?? null });
    if (d.brokerDefault) for (const n of brokerSynonymNames(d.brokerDefault)) synonymKeys.add(n);
  }
  const broker = new Map<string, ConfigDefinition>();
  for (const d of BROKER_CONFIG_DEFS as readonly ConfigDef[]) {
    broker.set(d.name, toDefinition(d, !d.readOnly && (synonymKeys.has(d.name) || OTHER_DYNAMIC_BROKER_KEYS.has(d.name))));
  }
  cached = { topic, broker };
  return cached;
}

interface StateSources {
  readonly nodeId: number;
  readonly config: KafkaConfig;
  readonly metadata: { brokerConfigOverrides(id: number | ''): ReadonlyMap<string, string> };
}

/** Snapshot of where broker-level values come from right now. */
export function brokerConfigState(s: StateSources): BrokerConfigState {
  let originals: Record<string, string> = {};
  try {
    originals = s.config.originals();
  } catch {
    originals = {};
  }
  return {
    brokerId: s.nodeId,
    staticConfigs: new Map(Object.entries(originals)),
    dynamicBroker: s.metadata.brokerConfigOverrides(s.nodeId),
    dynamicDefault: s.metadata.brokerConfigOverrides(''),
  };
}

/**
 * The effective value of a broker key (dynamic per-broker > dynamic cluster default > static > default),
 * following its synonym group, in the unit of `name`. Null when nothing sets it.
 */
export function effectiveBrokerValue(name: string, catalog: ConfigCatalog, state: BrokerConfigState): string | null {
  const group = brokerSynonymNames(name);
  const start = Math.max(0, group.indexOf(name));
  const names = group.slice(start);
  for (const level of [state.dynamicBroker, state.dynamicDefault, state.staticConfigs]) {
    for (const n of names) {
      const v = level.get(n);
      if (v !== undefined) return n === name ? v : scale(v, name, n);
    }
  }
  for (const n of names) {
    const v = catalog.broker.get(n)?.defaultValue;
    if (v !== undefined && v !== null) return n === name ? v : scale(v, name, n);
  }
  return null;
}

const FACTORS: Record<string, number> = { ms: 1, minutes: 60_000, hours: 3_600_000 };

function scale(value: string, target: string, source: string): string {
  const unit = (k: string) => FACTORS[k.slice(k.lastIndexOf('.') + 1)] ?? 1;
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isFinite(n)) return value;
  const ms = (n * unit(source)) / unit(target);
  return ms < 0 ? '-1' : String(Math.floor(ms));
}
