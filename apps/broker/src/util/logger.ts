// Minimal structured-ish logger: one line per event on stderr, prefixed with time, level and component.
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
  child(component: string): Logger;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

function threshold(): number {
  const v = (process.env.RUNNEL_LOG_LEVEL ?? 'info').toLowerCase() as Level;
  return LEVELS[v] ?? LEVELS.info;
}

/** Per-component overrides set at runtime (IncrementalAlterConfigs on BROKER_LOGGER), longest prefix wins. */
const overrides = new Map<string, number>();

/** Change the level of every logger whose component starts with `prefix` ('' = all); null removes the override. */
export function setLogLevel(prefix: string, level: Level | null): void {
  if (level === null) overrides.delete(prefix);
  else overrides.set(prefix, LEVELS[level]);
}

function effectiveMin(component: string, fallback: number): number {
  let best = -1;
  let value = fallback;
  for (const [prefix, v] of overrides) {
    if (component.startsWith(prefix) && prefix.length > best) {
      best = prefix.length;
      value = v;
    }
  }
  return value;
}

export type LogLevel = Level;

export function createLogger(component: string, min = threshold()): Logger {
  const write = (level: Level, msg: string): void => {
    if (LEVELS[level] < (overrides.size === 0 ? min : effectiveMin(component, min))) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} [${component}] ${msg}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m, err) => write('error', err === undefined ? m : `${m}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    child: (c) => createLogger(`${component}.${c}`, min),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
