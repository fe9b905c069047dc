// BROKER_LOGGER resources (DescribeConfigs / IncrementalAlterConfigs): per-broker log levels, kept by the
// broker itself (Kafka never sends them to the controller). Levels use Log4j names like Kafka does.
import { ConfigSource, ConfigTypeId } from './constants';
import type { DescribedConfig } from './config-model';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export const ROOT_LOGGER = 'root';

/** Loggers a broker exposes; children inherit the root level until set. */
export const KNOWN_LOGGERS = [ROOT_LOGGER, 'runnel.broker', 'runnel.broker.admin', 'runnel.broker.network', 'runnel.storage'];

export class BrokerLoggers {
  private readonly levels = new Map<string, string>();

  constructor(rootLevel = (process.env.RUNNEL_LOG_LEVEL ?? 'info').toUpperCase()) {
    this.levels.set(ROOT_LOGGER, (LOG_LEVELS as readonly string[]).includes(rootLevel) ? rootLevel : 'INFO');
  }

  exists(name: string): boolean {
    return KNOWN_LOGGERS.includes(name) || this.levels.has(name);
  }

  /** Effective level of a logger (its own, else the root's). */
  level(name: string): string {
    return this.levels.get(name) ?? this.levels.get(ROOT_LOGGER)!;
  }

  /** Why setting `name` to `level` is refused, as [errorCode, message]; null when fine. */
  validateSet(name: string, level: string | null): [number, string] | null {
    if (!this.exists(name)) return [40, `Logger ${name} does not exist!`];
    if (level === null || !(LOG_LEVELS as readonly string[]).includes(level)) {
      return [40, `Cannot set the log level of ${name} to ${level} as it is not a supported log level. Valid log levels are ${LOG_LEVELS.join(', ')}`];
    }
    return null;
  }

  validateUnset(name: string): [number, string] | null {
    if (!this.exists(name)) return [40, `Logger ${name} does not exist!`];
    if (name === ROOT_LOGGER) return [42, `Removing the log level of the ${ROOT_LOGGER} logger is not allowed`];
    return null;
  }

  set(name: string, level: string): void {
    this.levels.set(name, level);
  }

  unset(name: string): void {
    if (name !== ROOT_LOGGER) this.levels.delete(name);
  }

  describe(keys: readonly string[] | null | undefined): DescribedConfig[] {
    const names = [...new Set([...KNOWN_LOGGERS, ...this.levels.keys()])].sort();
    return names
      .filter((n) => !keys || keys.length === 0 || keys.includes(n))
      .map((name) => ({
        name,
        value: this.level(name),
        readOnly: false,
        isDefault: false,
        configSource: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG,
        isSensitive: false,
        synonyms: [],
        configType: ConfigTypeId.STRING,
        documentation: null,
      }));
  }
}

const registries = new WeakMap<object, BrokerLoggers>();

/** One registry per broker (keyed by its services object). */
export function brokerLoggersFor(owner: object): BrokerLoggers {
  let r = registries.get(owner);
  if (!r) registries.set(owner, (r = new BrokerLoggers()));
  return r;
}
