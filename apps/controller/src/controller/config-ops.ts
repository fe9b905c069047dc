import {
  BROKER_CONFIG_DEFS,
  ConfigDef,
  ConfigError,
  KafkaConfig,
  TOPIC_CONFIG_DEF_MAP,
  formatValue,
  topicConfigDefaults,
  validateTopicConfig,
  validateValue,
} from '@runnel/config';
import { ConfigResourceType, MetadataImage, MetadataRecord } from '@runnel/metadata';
import { ErrorCode } from '@runnel/protocol';

export const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterResource {
  resourceType: number;
  resourceName: string;
  configs: { name: string; value: string | null; configOperation?: number }[];
}

export interface AlterResult {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

class ResourceError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const BROKER_DEF_MAP = new Map<string, ConfigDef>(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

interface Target {
  store: Map<string, Map<string, string>>;
  /** Validates one key=value; returns the normalised text. */
  validate(name: string, value: string): string;
  isList(name: string): boolean;
  /** Current effective value (override, else default) for APPEND/SUBTRACT. */
  current(name: string): string | null;
}

function target(image: MetadataImage, config: KafkaConfig, r: AlterResource): Target {
  if (r.resourceType === ConfigResourceType.TOPIC) {
    if (!image.topics.has(r.resourceName)) {
      throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${r.resourceName}' does not exist.`);
    }
    const defaults = () => topicConfigDefaults(config);
    return {
      store: image.topicConfigs,
      validate: (name, value) => validateTopicConfig(name, value),
      isList: (name) => TOPIC_CONFIG_DEF_MAP.get(name)?.type === 'list',
      current: (name) => image.topicConfigs.get(r.resourceName)?.get(name) ?? defaults()[name] ?? null,
    };
  }
  if (r.resourceType === ConfigResourceType.BROKER) {
    if (r.resourceName !== '' && !/^\d+$/.test(r.resourceName)) {
      throw new ResourceError(ErrorCode.INVALID_REQUEST, `Invalid broker resource name '${r.resourceName}': expected a broker id or '' for the cluster default`);
    }
    return {
      store: image.brokerConfigs,
      validate: (name, value) => {
        const def = BROKER_DEF_MAP.get(name);
        if (!def) throw new ConfigError(`Unknown broker config name: ${name}`, name);
        if (def.readOnly) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: ${name}`);
        return formatValue(def, validateValue(def, value)) ?? '';
      },
      isList: (name) => BROKER_DEF_MAP.get(name)?.type === 'list',
      current: (name) =>
        image.brokerConfigs.get(r.resourceName)?.get(name) ?? image.brokerConfigs.get('')?.get(name) ?? config.entry(name)?.text ?? null,
    };
  }
  throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType} on the controller`);
}

function splitList(v: string | null): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * AlterConfigs (incremental = false: the given set replaces every override of the resource) and
 * IncrementalAlterConfigs (SET/DELETE/APPEND/SUBTRACT per key). Each resource succeeds or fails on
 * its own; a ConfigRecord with a null value deletes an override.
 */
export function alterConfigs(
  image: MetadataImage,
  config: KafkaConfig,
  resources: AlterResource[],
  incremental: boolean,
  validateOnly: boolean,
): { records: MetadataRecord[]; result: AlterResult[] } {
  const records: MetadataRecord[] = [];
  const result: AlterResult[] = [];
  const seen = new Map<string, number>();
  const keyOf = (r: AlterResource) => `${r.resourceType}\u0000${r.resourceName}`;
  for (const r of resources) seen.set(keyOf(r), (seen.get(keyOf(r)) ?? 0) + 1);

  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if ((seen.get(keyOf(r)) ?? 0) > 1) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Duplicate resource in the request');
      const t = target(image, config, r);
      const names = r.configs.map((c) => c.name);
      if (new Set(names).size !== names.length) {
        throw new ResourceError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${names.join(',')}`);
      }
      const existing = t.store.get(r.resourceName) ?? new Map<string, string>();
      const next = new Map<string, string | null>();
      if (!incremental) {
        for (const k of existing.keys()) next.set(k, null);
        for (const c of r.configs) {
          if (c.value === null) continue;
          next.set(c.name, t.validate(c.name, c.value));
        }
      } else {
        for (const c of r.configs) {
          const op = c.configOperation ?? OpType.SET;
          switch (op) {
            case OpType.SET:
              if (c.value === null) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for SET of ${c.name}`);
              next.set(c.name, t.validate(c.name, c.value));
              break;
            case OpType.DELETE:
              // Validates the key name so typos are reported rather than silently ignored.
              if (r.resourceType === ConfigResourceType.TOPIC && !TOPIC_CONFIG_DEF_MAP.has(c.name)) {
                throw new ConfigError(`Unknown topic config name: ${c.name}`, c.name);
              }
              next.set(c.name, null);
              break;
            case OpType.APPEND:
            case OpType.SUBTRACT: {
              if (!t.isList(c.name)) {
                const opName = op === OpType.APPEND ? 'APPEND' : 'SUBTRACT';
                throw new ResourceError(ErrorCode.INVALID_CONFIG, `Can't ${opName} to key ${c.name} because its type is not LIST.`);
              }
              const items = splitList(t.current(c.name));
              const change = splitList(c.value);
              const out = op === OpType.APPEND ? [...items, ...change.filter((x) => !items.includes(x))] : items.filter((x) => !change.includes(x));
              next.set(c.name, t.validate(c.name, out.join(',')));
              break;
            }
            default:
              throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op} for ${c.name}`);
          }
        }
      }
      result.push({ ...base, errorCode: 0, errorMessage: null });
      if (validateOnly) continue;
      for (const [name, value] of next) {
        const before = existing.get(name) ?? null;
        if (before === value) continue;
        records.push({
          name: 'ConfigRecord',
          version: 0,
          data: { resourceType: r.resourceType, resourceName: r.resourceName, name, value },
        });
      }
    } catch (e) {
      if (e instanceof ResourceError) result.push({ ...base, errorCode: e.code, errorMessage: e.message });
      else if (e instanceof ConfigError) result.push({ ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: e.message });
      else throw e;
    }
  }
  return { records, result };
}
