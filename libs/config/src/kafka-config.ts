import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigDef, ConfigValue, formatValue, parseValue, validateValue } from './def';
import { ConfigError } from './errors';
import { BROKER_CONFIG_DEFS } from './broker-defs';
import { Listener, parseListeners, parseQuorumVoters, QuorumVoter } from './listeners';
import { parseProperties } from './properties';

/** Where a value came from; later sources win: default < file < env < override. */
export type ConfigSource = 'default' | 'file' | 'env' | 'override' | 'programmatic';

export interface ConfigEntry {
  name: string;
  /** Parsed value (null = unset/no default). */
  value: ConfigValue;
  /** Kafka's textual form of the value (null = unset). */
  text: string | null;
  source: ConfigSource;
  /** Human-readable origin for messages, e.g. "server.properties:12", "--override", "KAFKA_LOG_DIRS". */
  origin: string;
  def?: ConfigDef;
}

export interface LoadOptions {
  /** Command-line arguments (without node and script), e.g. process.argv.slice(2). */
  argv?: string[];
  /** Environment (process.env); only KAFKA_<KEY> variables naming a known key are used. */
  env?: Record<string, string | undefined>;
  defs?: ConfigDef[];
  /** Base for relative paths (config file, log dirs). Defaults to process.cwd(). */
  cwd?: string;
  /** Extra programmatic values applied after the file and env, before --override. */
  props?: Record<string, unknown>;
  /** Collect unknown `--flags` into `extraArgs` instead of failing. */
  allowUnknownArgs?: boolean;
  /** Run the cross-key checks (roles vs listeners, quorum voters...). Default true. */
  validate?: boolean;
}

export const USAGE = 'usage: [server.properties | --config FILE] [--override key=value]...';

/** Env var name for a key: KAFKA_ + upper case, '-' -> '___', '_' -> '__', '.' -> '_' (Apache Kafka's docker image rule). */
export function envNameForKey(key: string): string {
  return 'KAFKA_' + key.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase();
}

/** Inverse of envNameForKey, or undefined if the name doesn't start with KAFKA_. */
export function keyForEnvName(name: string): string | undefined {
  if (!name.startsWith('KAFKA_') || name.length === 6) return undefined;
  return name
    .slice(6)
    .toLowerCase()
    .replace(/___/g, '\u0000')
    .replace(/__/g, '\u0001')
    .replace(/_/g, '.')
    .replace(/\u0000/g, '-')
    .replace(/\u0001/g, '_');
}

interface RawValue {
  raw: unknown;
  source: ConfigSource;
  origin: string;
}

/**
 * A node's configuration with Kafka's keys. Immutable; values are parsed and validated when the
 * config is built, so a bad value fails at startup with a ConfigError naming the key.
 */
export class KafkaConfig {
  /** Path of the properties file, when one was given. */
  readonly configFile?: string;
  /** Problems that don't stop startup (unknown keys), for the app to log. */
  readonly warnings: string[] = [];
  /** Unknown `--flags` (only with allowUnknownArgs). */
  readonly extraArgs: string[] = [];
  readonly cwd: string;
  /** Whether validateServerConfig applies (the defs are the server defs). */
  private serverChecks = false;

  private readonly defs = new Map<string, ConfigDef>();
  private readonly values = new Map<string, ConfigEntry>();

  private constructor(defs: ConfigDef[], raws: Map<string, RawValue>, cwd: string, configFile?: string) {
    this.cwd = cwd;
    this.configFile = configFile;
    for (const d of defs) this.defs.set(d.name, d);
    for (const d of defs) {
      const r = raws.get(d.name);
      const source = r?.source ?? 'default';
      const origin = r?.origin ?? 'default';
      let raw: unknown = r ? r.raw : d.default;
      // An empty value for an optional scalar means "unset" (e.g. --override advertised.listeners=).
      if (r && raw === '' && d.default === null && d.type !== 'list') raw = null;
      const value = validateValue(d, raw, r ? origin : undefined);
      this.values.set(d.name, { name: d.name, value, text: formatValue(d, value), source, origin, def: d });
    }
    for (const [name, r] of raws) {
      if (this.defs.has(name)) continue;
      const text = r.raw === null || r.raw === undefined ? null : Array.isArray(r.raw) ? r.raw.join(',') : String(r.raw);
      this.values.set(name, { name, value: text, text, source: r.source, origin: r.origin });
      this.warnings.push(`The configuration '${name}' (from ${r.origin}) isn't a known config and is ignored.`);
    }
  }

  /** Builds the config from argv (properties file, --override), KAFKA_* env vars and defaults. */
  static load(options: LoadOptions = {}): KafkaConfig {
    const cwd = options.cwd ?? process.cwd();
    const defs = options.defs ?? BROKER_CONFIG_DEFS;
    const known = new Set(defs.map((d) => d.name));
    const raws = new Map<string, RawValue>();
    const extraArgs: string[] = [];
    const overrides: Array<[string, string]> = [];
    let configFile: string | undefined;

    const argv = options.argv ?? [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      let overrideText: string | undefined;
      if (a === '--override') {
        if (i + 1 >= argv.length) throw new ConfigError(`--override needs a key=value argument; ${USAGE}`);
        overrideText = argv[++i];
      } else if (a.startsWith('--override=')) {
        overrideText = a.slice('--override='.length);
      } else if (a === '--config') {
        if (i + 1 >= argv.length) throw new ConfigError(`--config needs a file argument; ${USAGE}`);
        configFile = setConfigFile(configFile, argv[++i]);
      } else if (a.startsWith('--config=')) {
        configFile = setConfigFile(configFile, a.slice('--config='.length));
      } else if (a.startsWith('-') && a !== '-') {
        if (!options.allowUnknownArgs) throw new ConfigError(`Unknown argument ${a}; ${USAGE}`);
        extraArgs.push(a);
        // Keep a following value with its flag (`--name value`).
        if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) extraArgs.push(argv[++i]);
      } else {
        configFile = setConfigFile(configFile, a);
      }
      if (overrideText !== undefined) {
        const eq = overrideText.indexOf('=');
        if (eq <= 0) throw new ConfigError(`Invalid --override "${overrideText}": expected key=value`);
        overrides.push([overrideText.slice(0, eq).trim(), overrideText.slice(eq + 1)]);
      }
    }

    let resolvedFile: string | undefined;
    if (configFile !== undefined) {
      resolvedFile = path.resolve(cwd, configFile);
      let text: string;
      try {
        text = fs.readFileSync(resolvedFile, 'utf8');
      } catch (e) {
        throw new ConfigError(`Cannot read config file ${resolvedFile}: ${(e as Error).message}`);
      }
      const base = path.basename(resolvedFile);
      for (const e of parseProperties(text, base)) {
        raws.set(e.key, { raw: e.value, source: 'file', origin: `${base}:${e.line}` });
      }
    }

    const env = options.env ?? {};
    for (const name of Object.keys(env).sort()) {
      const key = keyForEnvName(name);
      const value = env[name];
      if (key === undefined || value === undefined || !known.has(key)) continue; // KAFKA_HEAP_OPTS etc. aren't configs
      raws.set(key, { raw: value, source: 'env', origin: name });
    }

    for (const [k, v] of Object.entries(options.props ?? {})) raws.set(k, { raw: v, source: 'programmatic', origin: 'props' });
    for (const [k, v] of overrides) raws.set(k, { raw: v, source: 'override', origin: `--override ${k}` });

    const config = new KafkaConfig(defs, raws, cwd, resolvedFile);
    config.extraArgs.push(...extraArgs);
    config.serverChecks = options.validate !== false && defs === BROKER_CONFIG_DEFS;
    if (config.serverChecks) validateServerConfig(config);
    return config;
  }

  /** Programmatic construction (tests, embedded nodes). */
  static fromProps(props: Record<string, unknown> = {}, options: Omit<LoadOptions, 'props' | 'argv' | 'env'> = {}): KafkaConfig {
    return KafkaConfig.load({ ...options, props });
  }

  /** A copy with some values replaced (validated again). */
  withOverrides(props: Record<string, unknown>): KafkaConfig {
    const raws = new Map<string, RawValue>();
    for (const e of this.values.values()) {
      if (e.source !== 'default') raws.set(e.name, { raw: e.value, source: e.source, origin: e.origin });
    }
    for (const [k, v] of Object.entries(props)) raws.set(k, { raw: v, source: 'programmatic', origin: 'props' });
    const config = new KafkaConfig([...this.defs.values()], raws, this.cwd, this.configFile);
    config.serverChecks = this.serverChecks;
    if (config.serverChecks) validateServerConfig(config);
    return config;
  }

  // ---- raw access ----

  /** True when the key was set explicitly (file, env, override or props), not left at its default. */
  isSet(name: string): boolean {
    const e = this.values.get(name);
    return e !== undefined && e.source !== 'default';
  }

  has(name: string): boolean {
    const e = this.values.get(name);
    return e !== undefined && e.value !== null;
  }

  get(name: string): ConfigValue {
    const e = this.values.get(name);
    if (!e) throw new ConfigError(`Unknown configuration "${name}"`, name);
    return e.value;
  }

  entry(name: string): ConfigEntry | undefined {
    return this.values.get(name);
  }

  definition(name: string): ConfigDef | undefined {
    return this.defs.get(name);
  }

  /** Every defined key (with its default when unset) plus unknown keys that were set. */
  entries(): ConfigEntry[] {
    return [...this.values.values()];
  }

  /** The explicitly set values in text form. */
  originals(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.values.values()) if (e.source !== 'default' && e.text !== null) out[e.name] = e.text;
    return out;
  }

  // ---- typed getters (throw ConfigError naming the key if the value is missing or of another type) ----

  getString(name: string): string {
    const v = this.getOptionalString(name);
    if (v === null) throw new ConfigError(`Configuration ${name} has no value`, name);
    return v;
  }

  getOptionalString(name: string): string | null {
    const v = this.get(name);
    if (v === null) return null;
    return Array.isArray(v) ? v.join(',') : String(v);
  }

  getInt(name: string): number {
    return this.getNumber(name, 'int');
  }

  getLong(name: string): number {
    return this.getNumber(name, 'long');
  }

  getDouble(name: string): number {
    return this.getNumber(name, 'double');
  }

  /** A numeric key that may be unset (e.g. log.retention.ms), or null. */
  getOptionalNumber(name: string): number | null {
    const v = this.get(name);
    if (v === null) return null;
    return this.getNumber(name, 'long');
  }

  getBoolean(name: string): boolean {
    const v = this.get(name);
    if (typeof v === 'boolean') return v;
    if (v === null) throw new ConfigError(`Configuration ${name} has no value`, name);
    return parseValue({ name, type: 'boolean' }, v) as boolean;
  }

  /** A list key; unset gives []. */
  getList(name: string): string[] {
    const v = this.get(name);
    if (v === null) return [];
    if (Array.isArray(v)) return [...v];
    return parseValue({ name, type: 'list' }, v) as string[];
  }

  private getNumber(name: string, type: 'int' | 'long' | 'double'): number {
    const v = this.get(name);
    if (typeof v === 'number') return v;
    if (v === null) throw new ConfigError(`Configuration ${name} has no value`, name);
    return parseValue({ name, type }, v) as number;
  }

  // ---- derived, Kafka semantics ----

  get nodeId(): number {
    return this.getInt('node.id');
  }

  get roles(): string[] {
    return this.getList('process.roles');
  }

  get isBroker(): boolean {
    return this.roles.includes('broker');
  }

  get isController(): boolean {
    return this.roles.includes('controller');
  }

  /** All listeners this process binds. */
  listeners(): Listener[] {
    return parseListeners(this.getString('listeners'), { key: 'listeners', protocolMap: this.getString('listener.security.protocol.map') });
  }

  controllerListenerNames(): string[] {
    return this.getList('controller.listener.names').map((n) => n.toUpperCase());
  }

  /** Listeners that serve Kafka clients (every listener not named in controller.listener.names). */
  brokerListeners(): Listener[] {
    const ctl = new Set(this.controllerListenerNames());
    return this.listeners().filter((l) => !ctl.has(l.name));
  }

  /** The listener the controller binds (the first listener named in controller.listener.names). */
  controllerListener(): Listener | undefined {
    const all = this.listeners();
    for (const name of this.controllerListenerNames()) {
      const l = all.find((x) => x.name === name);
      if (l) return l;
    }
    return undefined;
  }

  /**
   * What the broker publishes in Metadata: advertised.listeners, else its broker listeners. A
   * wildcard/empty host is replaced by this machine's hostname (as Kafka does); port 0 stays 0 and
   * the broker must substitute the bound port.
   */
  advertisedListeners(): Listener[] {
    const text = this.getOptionalString('advertised.listeners');
    const ctl = new Set(this.controllerListenerNames());
    const list = text
      ? parseListeners(text, { key: 'advertised.listeners', protocolMap: this.getString('listener.security.protocol.map') })
      : this.brokerListeners();
    return list
      .filter((l) => !ctl.has(l.name))
      .map((l) => (l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? { ...l, host: os.hostname() } : l));
  }

  /** The listener brokers use between themselves: inter.broker.listener.name, else the first broker listener. */
  interBrokerListenerName(): string | undefined {
    return this.getOptionalString('inter.broker.listener.name')?.toUpperCase() ?? this.brokerListeners()[0]?.name;
  }

  /**
   * controller.quorum.voters parsed; when unset on a node that runs a controller, the node itself on
   * its controller listener (so `--override listeners=...` alone gives a working single node).
   */
  quorumVoters(): QuorumVoter[] {
    const text = this.getOptionalString('controller.quorum.voters');
    if (text) return parseQuorumVoters(text);
    if (this.isController) {
      const l = this.controllerListener();
      if (l) return [{ nodeId: this.nodeId, host: l.host === '' || l.host === '0.0.0.0' ? '127.0.0.1' : l.host, port: l.port }];
    }
    return [];
  }

  /** Absolute log directories: log.dirs, else log.dir. */
  logDirs(): string[] {
    const dirs = this.has('log.dirs') ? this.getList('log.dirs') : [this.getString('log.dir')];
    return dirs.map((d) => path.resolve(this.cwd, d));
  }

  /** Where the metadata log lives: metadata.log.dir, else the first log directory. */
  metadataLogDir(): string {
    const d = this.getOptionalString('metadata.log.dir');
    return d ? path.resolve(this.cwd, d) : this.logDirs()[0];
  }

  /** log.retention.ms, else minutes, else hours (Kafka's precedence); -1 or negative = forever. */
  logRetentionMs(): number {
    const ms = this.getOptionalNumber('log.retention.ms');
    if (ms !== null) return ms;
    const min = this.getOptionalNumber('log.retention.minutes');
    if (min !== null) return min < 0 ? -1 : min * 60_000;
    const h = this.getInt('log.retention.hours');
    return h < 0 ? -1 : h * 3_600_000;
  }

  /** log.roll.ms, else log.roll.hours. */
  logRollMs(): number {
    return this.getOptionalNumber('log.roll.ms') ?? this.getInt('log.roll.hours') * 3_600_000;
  }

  logRollJitterMs(): number {
    return this.getOptionalNumber('log.roll.jitter.ms') ?? this.getInt('log.roll.jitter.hours') * 3_600_000;
  }

  /** log.flush.interval.ms, else log.flush.scheduler.interval.ms. */
  logFlushIntervalMs(): number {
    return this.getOptionalNumber('log.flush.interval.ms') ?? this.getLong('log.flush.scheduler.interval.ms');
  }
}

function setConfigFile(current: string | undefined, file: string): string {
  if (current !== undefined) throw new ConfigError(`Only one config file may be given (got ${current} and ${file}); ${USAGE}`);
  return file;
}

/** Cross-key checks Kafka's KafkaConfig does at startup (roles, listeners, quorum). */
export function validateServerConfig(config: KafkaConfig): void {
  const brokerId = config.get('broker.id');
  if (brokerId !== null && brokerId !== config.nodeId) {
    throw new ConfigError(`broker.id (${String(brokerId)}) must equal node.id (${config.nodeId}) when both are set`, 'broker.id');
  }
  const listeners = config.listeners();
  const ports = new Map<number, string>();
  for (const l of listeners) {
    if (l.port === 0) continue;
    const other = ports.get(l.port);
    if (other && listeners.find((x) => x.name === other)?.host === l.host) {
      throw ConfigError.invalid('listeners', config.getString('listeners'), `Listeners ${other} and ${l.name} use the same port ${l.port}`);
    }
    ports.set(l.port, l.name);
  }
  if (config.isController && !config.controllerListener()) {
    throw new ConfigError(
      `controller.listener.names (${config.controllerListenerNames().join(',')}) must name at least one listener in listeners when process.roles contains controller`,
      'controller.listener.names',
    );
  }
  if (config.isBroker && config.brokerListeners().length === 0) {
    throw new ConfigError('listeners must contain at least one non-controller listener when process.roles contains broker', 'listeners');
  }
  if (config.isBroker) {
    const adv = config.getOptionalString('advertised.listeners');
    if (adv) {
      const names = new Set(config.listeners().map((l) => l.name));
      for (const l of parseListeners(adv, { key: 'advertised.listeners', protocolMap: config.getString('listener.security.protocol.map') })) {
        if (!names.has(l.name)) throw ConfigError.invalid('advertised.listeners', adv, `Listener ${l.name} is not in listeners`);
      }
    }
  }
  const votersText = config.getOptionalString('controller.quorum.voters');
  if (votersText && config.isController) {
    const voters = parseQuorumVoters(votersText);
    if (!voters.some((v) => v.nodeId === config.nodeId)) {
      throw ConfigError.invalid('controller.quorum.voters', votersText, `This controller's node.id ${config.nodeId} is not among the voters`);
    }
  }
  if (!config.isController && !votersText && config.getList('controller.quorum.bootstrap.servers').length === 0) {
    throw new ConfigError('A broker-only node needs controller.quorum.voters or controller.quorum.bootstrap.servers', 'controller.quorum.voters');
  }
  if (config.isBroker && config.isController) {
    const a = config.getInt('metrics.port');
    const b = config.getInt('controller.metrics.port');
    if (a === b && a > 0) {
      throw ConfigError.invalid('controller.metrics.port', b, 'must differ from metrics.port when one process runs broker and controller');
    }
  }
}
