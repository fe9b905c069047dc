// Effective topic configuration, resolved the way Kafka does: a topic override (ConfigRecord on the topic),
// else a dynamic broker default (ConfigRecord on this broker, then on the cluster default resource) of the
// synonym broker key, else the static broker config (converted, e.g. log.retention.hours -> retention.ms),
// else the topic config's own default.
import { TOPIC_CONFIG_DEFS, topicConfigDefaults } from '@runnel/config';
import type { KafkaConfig, TopicConfigDef } from '@runnel/config';
import type { MetadataCache } from './metadata-cache';

export type ConfigSource = 'TOPIC' | 'DYNAMIC_BROKER' | 'DYNAMIC_DEFAULT_BROKER' | 'STATIC_BROKER' | 'DEFAULT';

export interface EffectiveConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
  readonly def: TopicConfigDef;
}

export class TopicConfigs {
  private readonly defs = new Map<string, TopicConfigDef>();
  private readonly staticDefaults: Record<string, string>;

  constructor(
    private readonly metadata: MetadataCache,
    private readonly config: KafkaConfig,
    private readonly nodeId: number,
  ) {
    for (const d of TOPIC_CONFIG_DEFS) this.defs.set(d.name, d);
    this.staticDefaults = topicConfigDefaults(config);
  }

  definitions(): IterableIterator<TopicConfigDef> {
    return this.defs.values();
  }

  definition(name: string): TopicConfigDef | undefined {
    return this.defs.get(name);
  }

  /** One effective value with where it came from; undefined for an unknown key. */
  resolve(topic: string, name: string): EffectiveConfig | undefined {
    const def = this.defs.get(name);
    if (!def) return undefined;
    const override = this.metadata.topicConfigOverrides(topic).get(name);
    if (override !== undefined) return { name, value: override, source: 'TOPIC', def };
    const b = def.brokerDefault;
    if (b) {
      const perBroker = this.metadata.brokerConfigOverrides(this.nodeId).get(b);
      if (perBroker !== undefined) return { name, value: perBroker, source: 'DYNAMIC_BROKER', def };
      const clusterDefault = this.metadata.brokerConfigOverrides('').get(b);
      if (clusterDefault !== undefined) return { name, value: clusterDefault, source: 'DYNAMIC_DEFAULT_BROKER', def };
      if (this.config.isSet(b)) return { name, value: this.staticDefaults[name] ?? null, source: 'STATIC_BROKER', def };
    }
    return { name, value: this.staticDefaults[name] ?? def.default ?? null, source: 'DEFAULT', def };
  }

  /** Effective value as text (null when the config has no value). */
  get(topic: string, name: string): string | null {
    return this.resolve(topic, name)?.value ?? null;
  }

  getNumber(topic: string, name: string, fallback: number): number {
    const v = this.get(topic, name);
    if (v === null || v === '') return fallback;
    const n = Number(v);
    return Number.isFinite(n) ? n : fallback;
  }

  /** All effective values for a topic. */
  all(topic: string): EffectiveConfig[] {
    const out: EffectiveConfig[] = [];
    for (const name of this.defs.keys()) out.push(this.resolve(topic, name)!);
    return out;
  }

  /** name -> value for every topic config (what storage's logConfigFromTopicConfigs takes). */
  values(topic: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.all(topic)) if (e.value !== null) out[e.name] = e.value;
    return out;
  }
}
