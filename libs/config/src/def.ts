import { ConfigError } from './errors';

/** Kafka's ConfigDef types; the numbers are DescribeConfigs' ConfigType codes (v3+). */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

export const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

export type ConfigValue = string | number | boolean | string[] | null;

/** Returns nothing when valid, or a reason (Kafka style) when not. */
export type Validator = ((value: ConfigValue, name: string) => string | undefined) & { describe?: string };

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /**
   * The default as Kafka documents it, in text form ('' for an empty list); `null` means "no value"
   * (the key is optional), `undefined` means required.
   */
  default: string | null | undefined;
  doc: string;
  importance?: 'high' | 'medium' | 'low';
  validator?: Validator;
  /** Keys like log.dirs that the running node reads once; DescribeConfigs reports them read-only. */
  readOnly?: boolean;
}

/** A topic-level config; `brokerDefault` names the broker config its default comes from (Kafka's synonym). */
export interface TopicConfigDef extends ConfigDef {
  brokerDefault: string | null;
}

/** Java's Long.MAX_VALUE, the default of several "never" configs. JS numbers saturate it to MAX_SAFE_INTEGER. */
export const LONG_MAX = '9223372036854775807';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** Parses a textual (or already typed) value per the def's type. Throws ConfigError naming the key. */
export function parseValue(def: Pick<ConfigDef, 'name' | 'type'>, raw: unknown, source?: string): ConfigValue {
  const { name, type } = def;
  if (raw === null || raw === undefined) return null;
  const bad = (reason: string) => ConfigError.invalid(name, raw, reason, source);
  switch (type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).trim().toLowerCase();
      if (t === 'true') return true;
      if (t === 'false') return false;
      throw bad('Expected value to be either true or false');
    }
    case 'string':
    case 'class':
    case 'password':
      if (typeof raw === 'object') throw bad('Expected value to be a string');
      return String(raw).trim();
    case 'int':
    case 'short':
    case 'long': {
      const n = parseInteger(raw);
      const label = type.toUpperCase();
      if (n === undefined) throw bad(`Not a number of type ${label}`);
      if (type === 'int' && (n < INT_MIN || n > INT_MAX)) throw bad(`Not a number of type ${label}`);
      if (type === 'short' && (n < -32768 || n > 32767)) throw bad(`Not a number of type ${label}`);
      return n;
    }
    case 'double': {
      const t = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (typeof raw !== 'number' && String(raw).trim() === '') throw bad('Not a number of type DOUBLE');
      if (!Number.isFinite(t)) throw bad('Not a number of type DOUBLE');
      return t;
    }
    case 'list': {
      if (Array.isArray(raw)) return raw.map((x) => String(x).trim());
      const t = String(raw).trim();
      if (t === '') return [];
      return t.split(/\s*,\s*/);
    }
  }
}

/** Integers as JS numbers; longs beyond 2^53 (e.g. Long.MAX_VALUE defaults) saturate to MAX_SAFE_INTEGER. */
function parseInteger(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw === 'bigint') return clampBig(raw);
  const t = String(raw).trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const big = BigInt(t);
  if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  return clampBig(big);
}

function clampBig(b: bigint): number {
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (b < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(b);
}

/** Renders a parsed value back into Kafka's textual form (as DescribeConfigs reports it). */
export function formatValue(def: Pick<ConfigDef, 'type'>, value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if ((def.type === 'long') && value === Number.MAX_SAFE_INTEGER) return LONG_MAX;
  return String(value);
}

/** Parses and validates; returns the typed value or throws ConfigError("Invalid value ... for configuration KEY: ..."). */
export function validateValue(def: ConfigDef, raw: unknown, source?: string): ConfigValue {
  const value = parseValue(def, raw, source);
  if (value === null) {
    if (def.default === undefined) {
      throw new ConfigError(`Missing required configuration "${def.name}" which has no default value.`, def.name);
    }
    return null;
  }
  const reason = def.validator?.(value, def.name);
  if (reason) throw ConfigError.invalid(def.name, raw, reason, source);
  return value;
}

// ---- validators (each returns a reason string on failure) ----

function v(describe: string, fn: (value: ConfigValue, name: string) => string | undefined): Validator {
  const f = fn as Validator;
  f.describe = describe;
  return f;
}

export const atLeast = (min: number) =>
  v(`[${min},...]`, (val) => (typeof val === 'number' && val < min ? `Value must be at least ${min}` : undefined));

export const between = (min: number, max: number) =>
  v(`[${min},...,${max}]`, (val) =>
    typeof val === 'number' && (val < min || val > max) ? `Value must be no less than ${min} and no more than ${max}` : undefined,
  );

/** Case-sensitive, like Kafka's ValidString.in. */
export const oneOf = (...allowed: string[]) =>
  v(`[${allowed.join(', ')}]`, (val) =>
    typeof val === 'string' && !allowed.includes(val) ? `String must be one of: ${allowed.join(', ')}` : undefined,
  );

/** Case-insensitive variant (Kafka's CaseInsensitiveValidString). */
export const oneOfIgnoreCase = (...allowed: string[]) =>
  v(`[${allowed.join(', ')}]`, (val) =>
    typeof val === 'string' && !allowed.some((a) => a.toLowerCase() === val.toLowerCase())
      ? `String must be one of (case insensitive): ${allowed.join(', ')}`
      : undefined,
  );

export const listOf = (...allowed: string[]) =>
  v(`[${allowed.join(', ')}]`, (val) => {
    if (!Array.isArray(val)) return undefined;
    const badItem = val.find((x) => !allowed.includes(x));
    if (badItem !== undefined) return `Invalid value ${badItem} for list: must be one of ${allowed.join(', ')}`;
    if (new Set(val).size !== val.length) return 'Values must not be duplicated';
    return undefined;
  });

export const nonEmptyList = v('non-empty list', (val) =>
  Array.isArray(val) && (val.length === 0 || val.some((x) => x === '')) ? 'Empty list or empty element' : undefined,
);

export const nonEmptyString = v('non-empty string', (val) =>
  typeof val === 'string' && val.length === 0 ? 'String must be non-empty' : undefined,
);

export const all = (...validators: Validator[]) =>
  v(validators.map((x) => x.describe).join(', '), (val, name) => {
    for (const fn of validators) {
      const r = fn(val, name);
      if (r) return r;
    }
    return undefined;
  });

/** Wraps a parser that throws ConfigError (e.g. parseListeners) as a validator. */
export const parsedBy = (describe: string, parse: (text: string) => unknown) =>
  v(describe, (val) => {
    if (val === null) return undefined;
    try {
      parse(Array.isArray(val) ? val.join(',') : String(val));
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  });
