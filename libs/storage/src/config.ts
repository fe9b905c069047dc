// Per-log configuration. Field names are Kafka's topic config names in camelCase; the tables below map both the
// topic-level names (segment.bytes) and the broker-level defaults (log.segment.bytes) onto them.

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type MessageTimestampType = 'CreateTime' | 'LogAppendTime';

/** Kafka uses Long.MAX_VALUE for "never"; offsets and times here are JS numbers, so "never" is this. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export interface LogConfig {
  /** segment.bytes: roll the active segment when an append would make it larger than this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this (by record time). */
  segmentMs: number;
  /** segment.index.bytes: cap of the .index file (8-byte entries) and .timeindex (12-byte entries); full => roll. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two .index entries. */
  indexIntervalBytes: number;
  /** retention.ms: delete whole segments whose newest record is older than this; -1 = keep forever. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log exceeds this; -1 = no limit. */
  retentionBytes: number;
  /** cleanup.policy */
  cleanupPolicy: CleanupPolicy;
  /** delete.retention.ms: how long a tombstone survives compaction (measured from the record's timestamp). */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records newer than this are never compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a log with records older than this is cleaned even below the dirty ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: dirty bytes / total bytes needed before the cleaner picks a log. */
  minCleanableDirtyRatio: number;
  /** flush.messages: fsync after this many records; 1 = fsync before every append returns. */
  flushMessages: number;
  /** flush.ms: fsync data that has been unflushed for this long. */
  flushMs: number;
  /** message.timestamp.type: LogAppendTime makes the log stamp batches with the broker's clock. */
  messageTimestampType: MessageTimestampType;
  /** file.delete.delay.ms: deleted segments are renamed to .deleted and unlinked after this delay. */
  fileDeleteDelayMs: number;
  /** max.message.bytes: kept for the broker's validation; the log itself does not enforce it. */
  maxMessageBytes: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 24 * 3600 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER,
  minCleanableDirtyRatio: 0.5,
  flushMessages: NEVER,
  flushMs: NEVER,
  messageTimestampType: 'CreateTime',
  fileDeleteDelayMs: 60_000,
  maxMessageBytes: 1024 * 1024 + 12,
});

type Parser = (raw: string, name: string) => unknown;

function parseLong(raw: string, name: string): number {
  const s = raw.trim();
  if (!/^-?\d+$/.test(s)) throw new LogConfigError(name, raw, 'expected an integer');
  const n = Number(s);
  // Kafka's Long.MAX_VALUE (and anything above 2^53) means "never".
  if (n > NEVER) return NEVER;
  return n;
}

function parseInt32(raw: string, name: string): number {
  const n = parseLong(raw, name);
  if (n > 2147483647 || n < -2147483648) throw new LogConfigError(name, raw, 'expected a 32-bit integer');
  return n;
}

function parseDouble(raw: string, name: string): number {
  const n = Number(raw.trim());
  if (!Number.isFinite(n)) throw new LogConfigError(name, raw, 'expected a number');
  return n;
}

function parsePolicy(raw: string, name: string): CleanupPolicy {
  const parts = new Set(
    raw
      .split(',')
      .map((p) => p.trim().toLowerCase())
      .filter((p) => p.length > 0),
  );
  for (const p of parts) if (p !== 'delete' && p !== 'compact') throw new LogConfigError(name, raw, 'expected delete and/or compact');
  if (parts.has('compact') && parts.has('delete')) return 'compact,delete';
  if (parts.has('compact')) return 'compact';
  if (parts.has('delete')) return 'delete';
  throw new LogConfigError(name, raw, 'expected delete and/or compact');
}

function parseTimestampType(raw: string, name: string): MessageTimestampType {
  const s = raw.trim();
  if (s === 'CreateTime' || s === 'LogAppendTime') return s;
  throw new LogConfigError(name, raw, 'expected CreateTime or LogAppendTime');
}

export class LogConfigError extends Error {
  constructor(
    readonly configName: string,
    readonly value: string,
    reason: string,
  ) {
    super(`Invalid value ${JSON.stringify(value)} for configuration ${configName}: ${reason}`);
    this.name = 'LogConfigError';
  }
}

interface Mapping {
  field: keyof LogConfig;
  parse: Parser;
  /** Multiplier from the property's unit to the field's unit (log.retention.hours -> ms). */
  scale?: number;
}

/** Kafka topic-level config name -> LogConfig field. */
export const TOPIC_CONFIG_FIELDS: Readonly<Record<string, Mapping>> = Object.freeze({
  'segment.bytes': { field: 'segmentBytes', parse: parseInt32 },
  'segment.ms': { field: 'segmentMs', parse: parseLong },
  'segment.index.bytes': { field: 'segmentIndexBytes', parse: parseInt32 },
  'index.interval.bytes': { field: 'indexIntervalBytes', parse: parseInt32 },
  'retention.ms': { field: 'retentionMs', parse: parseLong },
  'retention.bytes': { field: 'retentionBytes', parse: parseLong },
  'cleanup.policy': { field: 'cleanupPolicy', parse: parsePolicy },
  'delete.retention.ms': { field: 'deleteRetentionMs', parse: parseLong },
  'min.compaction.lag.ms': { field: 'minCompactionLagMs', parse: parseLong },
  'max.compaction.lag.ms': { field: 'maxCompactionLagMs', parse: parseLong },
  'min.cleanable.dirty.ratio': { field: 'minCleanableDirtyRatio', parse: parseDouble },
  'flush.messages': { field: 'flushMessages', parse: parseLong },
  'flush.ms': { field: 'flushMs', parse: parseLong },
  'message.timestamp.type': { field: 'messageTimestampType', parse: parseTimestampType },
  'file.delete.delay.ms': { field: 'fileDeleteDelayMs', parse: parseLong },
  'max.message.bytes': { field: 'maxMessageBytes', parse: parseInt32 },
});

/**
 * Broker-level names that provide the defaults. Where Kafka has several units (log.retention.ms / minutes / hours),
 * the finer unit wins, as in Kafka; see brokerLogDefaults.
 */
export const BROKER_CONFIG_FIELDS: Readonly<Record<string, Mapping>> = Object.freeze({
  'log.segment.bytes': { field: 'segmentBytes', parse: parseInt32 },
  'log.roll.ms': { field: 'segmentMs', parse: parseLong },
  'log.roll.hours': { field: 'segmentMs', parse: parseLong, scale: 3600_000 },
  'log.index.size.max.bytes': { field: 'segmentIndexBytes', parse: parseInt32 },
  'log.index.interval.bytes': { field: 'indexIntervalBytes', parse: parseInt32 },
  'log.retention.ms': { field: 'retentionMs', parse: parseLong },
  'log.retention.minutes': { field: 'retentionMs', parse: parseLong, scale: 60_000 },
  'log.retention.hours': { field: 'retentionMs', parse: parseLong, scale: 3600_000 },
  'log.retention.bytes': { field: 'retentionBytes', parse: parseLong },
  'log.cleanup.policy': { field: 'cleanupPolicy', parse: parsePolicy },
  'log.cleaner.delete.retention.ms': { field: 'deleteRetentionMs', parse: parseLong },
  'log.cleaner.min.compaction.lag.ms': { field: 'minCompactionLagMs', parse: parseLong },
  'log.cleaner.max.compaction.lag.ms': { field: 'maxCompactionLagMs', parse: parseLong },
  'log.cleaner.min.cleanable.ratio': { field: 'minCleanableDirtyRatio', parse: parseDouble },
  'log.flush.interval.messages': { field: 'flushMessages', parse: parseLong },
  'log.flush.interval.ms': { field: 'flushMs', parse: parseLong },
  'log.message.timestamp.type': { field: 'messageTimestampType', parse: parseTimestampType },
  'log.segment.delete.delay.ms': { field: 'fileDeleteDelayMs', parse: parseLong },
  'message.max.bytes': { field: 'maxMessageBytes', parse: parseInt32 },
});

export type ConfigSource = Record<string, string | number | boolean | null | undefined> | Map<string, string | null | undefined>;

function entriesOf(src: ConfigSource): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const it = src instanceof Map ? src.entries() : Object.entries(src);
  for (const [k, v] of it) if (v !== undefined && v !== null) out.push([k, String(v)]);
  return out;
}

/** True when `name` is a topic config this library understands. */
export function isLogConfigName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONFIG_FIELDS, name);
}

/**
 * Topic configs with Kafka's names (e.g. from CreateTopics / ConfigRecord) as a Partial<LogConfig>. Unknown names
 * are ignored (they belong to the broker: compression.type, min.insync.replicas, ...). Invalid values throw
 * LogConfigError naming the key.
 */
export function logConfigOverrides(topicConfigs: ConfigSource): Partial<LogConfig> {
  const out: Partial<LogConfig> = {};
  for (const [name, raw] of entriesOf(topicConfigs)) {
    const m = TOPIC_CONFIG_FIELDS[name];
    if (!m) continue;
    (out as Record<string, unknown>)[m.field] = m.parse(raw, name);
  }
  return out;
}

/** Broker defaults merged with a topic's overrides (Kafka names); the result is a complete LogConfig. */
export function logConfigFromTopicConfigs(topicConfigs: ConfigSource, defaults: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  return validateLogConfig({ ...defaults, ...logConfigOverrides(topicConfigs) });
}

/** Broker properties (log.segment.bytes, log.retention.hours, ...) -> the broker-wide default LogConfig. */
export function brokerLogDefaults(brokerProps: ConfigSource): LogConfig {
  const cfg: LogConfig = { ...DEFAULT_LOG_CONFIG };
  const entries = new Map(entriesOf(brokerProps));
  // Coarse units first so the finer one (Kafka's precedence: ms > minutes > hours) overwrites.
  const order = Object.keys(BROKER_CONFIG_FIELDS).sort((a, b) => (BROKER_CONFIG_FIELDS[b].scale ?? 1) - (BROKER_CONFIG_FIELDS[a].scale ?? 1));
  for (const name of order) {
    const raw = entries.get(name);
    if (raw === undefined) continue;
    const m = BROKER_CONFIG_FIELDS[name];
    let v = m.parse(raw, name);
    if (m.scale && typeof v === 'number' && v >= 0) v = Math.min(NEVER, v * m.scale);
    (cfg as unknown as Record<string, unknown>)[m.field] = v;
  }
  return validateLogConfig(cfg);
}

/** The LogConfig back as Kafka topic config strings (for DescribeConfigs). */
export function logConfigToTopicConfigs(cfg: LogConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, m] of Object.entries(TOPIC_CONFIG_FIELDS)) {
    const v = cfg[m.field];
    out[name] = typeof v === 'number' && v >= NEVER ? '9223372036854775807' : String(v);
  }
  return out;
}

export function hasCompact(cfg: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return cfg.cleanupPolicy === 'compact' || cfg.cleanupPolicy === 'compact,delete';
}

export function hasDelete(cfg: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return cfg.cleanupPolicy === 'delete' || cfg.cleanupPolicy === 'compact,delete';
}

/** Range checks as Kafka's ConfigDef does them; throws LogConfigError. */
export function validateLogConfig(cfg: LogConfig): LogConfig {
  const check = (ok: boolean, name: string, v: unknown, why: string) => {
    if (!ok) throw new LogConfigError(name, String(v), why);
  };
  check(Number.isInteger(cfg.segmentBytes) && cfg.segmentBytes >= 14 && cfg.segmentBytes <= 2147483647, 'segment.bytes', cfg.segmentBytes, 'must be in [14, 2^31-1]');
  check(cfg.segmentMs >= 1, 'segment.ms', cfg.segmentMs, 'must be >= 1');
  check(Number.isInteger(cfg.segmentIndexBytes) && cfg.segmentIndexBytes >= 12, 'segment.index.bytes', cfg.segmentIndexBytes, 'must be >= 12');
  check(cfg.indexIntervalBytes >= 0, 'index.interval.bytes', cfg.indexIntervalBytes, 'must be >= 0');
  check(cfg.retentionMs >= -1, 'retention.ms', cfg.retentionMs, 'must be >= -1');
  check(cfg.deleteRetentionMs >= 0, 'delete.retention.ms', cfg.deleteRetentionMs, 'must be >= 0');
  check(cfg.minCompactionLagMs >= 0, 'min.compaction.lag.ms', cfg.minCompactionLagMs, 'must be >= 0');
  check(cfg.maxCompactionLagMs >= 1, 'max.compaction.lag.ms', cfg.maxCompactionLagMs, 'must be >= 1');
  check(cfg.minCleanableDirtyRatio >= 0 && cfg.minCleanableDirtyRatio <= 1, 'min.cleanable.dirty.ratio', cfg.minCleanableDirtyRatio, 'must be in [0, 1]');
  check(cfg.flushMessages >= 1, 'flush.messages', cfg.flushMessages, 'must be >= 1');
  check(cfg.flushMs >= 0, 'flush.ms', cfg.flushMs, 'must be >= 0');
  check(cfg.fileDeleteDelayMs >= 0, 'file.delete.delay.ms', cfg.fileDeleteDelayMs, 'must be >= 0');
  return cfg;
}
