// One line per event on stderr, in the same shape as the broker's lines ("<time> INFO [component] message"), so a
// combined node's output reads as one log. RUNNEL_LOG_LEVEL=debug|info|warn|error|silent sets the threshold.

export interface ControllerLogger {
  debug(msg: string): void;
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

function threshold(): number {
  const v = (process.env.RUNNEL_LOG_LEVEL ?? 'info').toLowerCase() as keyof typeof LEVELS;
  return LEVELS[v] ?? LEVELS.info;
}

export function createLogger(component: string): ControllerLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => {
    // Read the level each time so tests and operators can change it at runtime.
    if (LEVELS[level] < threshold()) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} [controller.${component}] ${msg}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    log: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}
