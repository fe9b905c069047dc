// BROKER_LOGGER resources (DescribeConfigs / IncrementalAlterConfigs): per-broker log levels, kept by the
// broker itself (Kafka never sends them to the controller). Levels use Log4j names like Kafka does; a change is
// applied to the broker's loggers (util/logger.ts setLogLevel), whose components are "broker-<id>[.part]".
import { setLogLevel } from '../util/logger';
import type { LogLevel } from '../util/logger';
import { ConfigSource, ConfigTypeId } from './constants';
import type { DescribedConfig } from './config-model';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export const ROOT_LOGGER = 'root';

/** Sub-loggers of a broker (children of "broker-<id>"); each inherits from its parent until set. */
const BROKER_PARTS = ['controller', 'groups', 'lifecycle', 'metadata', 'net', 'producer-ids', 'replicas'];

export function knownLoggers(nodeId: number): string[] {
  const base = `broker-${nodeId}`;
  return [ROOT_LOGGER, base, ...BROKER_PARTS.map((p) => `${base}.${p}`)];
}

/** Log4j level -> the broker logger's level (it has no TRACE or FATAL). */
function toLoggerLevel(level: string): LogLevel {
  switch (level) {
    case 'TRACE':
    case 'DEBUG':
      return 'debug';
    case 'INFO':
      return 'info';
    case 'WARN':
      return 'warn';
    default:
      return 'error';
  }
}

export type ApplyLevel = (prefix: string, level: LogLevel | null) => void;

export class BrokerLoggers {
  private readonly levels = new Map<string, string>();
  private readonly known: string[];

  constructor(
    nodeId = 1,
    private readonly apply: ApplyLevel = () => undefined,
    rootLevel = (process.env.RUNNEL_LOG_LEVEL ?? 'info').toUpperCase(),
  ) {
    this.known = knownLoggers(nodeId);
    this.levels.set(ROOT_LOGGER, (LOG_LEVELS as readonly string[]).includes(rootLevel) ? rootLevel : 'INFO');
  }

  exists(name: string): boolean {
    return this.known.includes(name) || this.levels.has(name);
  }

  /** Effective level of a logger: its own, else its nearest configured parent's, else the root's. */
  level(name: string): string {
    for (let n = name; ; ) {
      const own = this.levels.get(n);
      if (own !== undefined) return own;
      const dot = n.lastIndexOf('.');
      if (dot < 0) break;
      n = n.slice(0, dot);
    }
    return this.levels.get(ROOT_LOGGER)!;
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
    this.apply(name === ROOT_LOGGER ? '' : name, toLoggerLevel(level));
  }

  unset(name: string): void {
    if (name === ROOT_LOGGER) return;
    this.levels.delete(name);
    this.apply(name, null);
  }

  describe(keys: readonly string[] | null | undefined): DescribedConfig[] {
    const names = [...new Set([...this.known, ...this.levels.keys()])].sort();
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

/** One registry per broker (keyed by its services object), applying changes to the broker's loggers. */
export function brokerLoggersFor(owner: { nodeId: number }, apply: ApplyLevel = setLogLevel): BrokerLoggers {
  let r = registries.get(owner);
  if (!r) registries.set(owner, (r = new BrokerLoggers(owner.nodeId, apply)));
  return r;
}
