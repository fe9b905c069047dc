// Effective topic configuration, resolved the way Kafka does: a topic override (ConfigRecord on the topic),
// else a dynamic broker default (ConfigRecord on this broker or the cluster default resource) of the synonym
// broker key, else the static broker config of that key, else the topic config's own default.
import { TOPIC_CONFIG_DEFS } from '@runnel/config';
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

  constructor(
    private readonly metadata: MetadataCache,
    private readonly config: KafkaConfig,
    private readonly nodeId: number,
  ) {
    for (const d of TOPIC_CONFIG_DEFS as readonly TopicConfigDef[]) this.defs.set(d.name, d);
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
      const stat = staticValue(this.config, b);
      if (stat.explicit) return { name, value: stat.value, source: 'STATIC_BROKER', def };
      if (stat.value !== null) return { name, value: stat.value, source: 'DEFAULT', def };
    }
    return { name, value: def.default ?? null, source: 'DEFAULT', def };
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
}

/** Reads a broker key from the static config as text; `explicit` when the operator set it. */
function staticValue(config: KafkaConfig, key: string): { value: string | null; explicit: boolean } {
  const c = config as any;
  try {
    const explicit = typeof c.isSet === 'function' ? Boolean(c.isSet(key)) : typeof c.has === 'function' ? Boolean(c.has(key)) : false;
    const raw = c.getString(key);
    return { value: raw === undefined || raw === null ? null : String(raw), explicit };
  } catch {
    return { value: null, explicit: false };
  }
}
