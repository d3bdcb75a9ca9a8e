/** Minimal leveled logger. Never pass secrets (tokens, passwords, keys) to it. */
export interface Logger {
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warning: 30, error: 40 } as const;

export function createLogger(level: string, sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = LEVELS[level as keyof typeof LEVELS] ?? LEVELS.info;
  const emit = (lvl: keyof typeof LEVELS, msg: string, extra?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const tail = extra && Object.keys(extra).length ? ' ' + JSON.stringify(extra) : '';
    sink(`${new Date().toISOString()} [${lvl.toUpperCase()}] ${msg}${tail}`);
  };
  return {
    debug: (m, e) => emit('debug', m, e),
    info: (m, e) => emit('info', m, e),
    warn: (m, e) => emit('warning', m, e),
    error: (m, e) => emit('error', m, e),
  };
}
