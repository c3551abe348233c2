import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * One JSON object per line: Workers Logs (observability) indexes the fields, so a request can
 * be found by its id, path or status without parsing text.
 */
export function createLogger(level: LogLevel, base: Record<string, unknown>): Logger {
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    const line = JSON.stringify({ level: lvl, msg, time: new Date().toISOString(), ...base, ...fields });
    if (lvl === 'error') console.error(line);
    else if (lvl === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function levelFrom(value: unknown): LogLevel {
  return typeof value === 'string' && value in RANK ? (value as LogLevel) : 'info';
}

/**
 * Puts a request-scoped logger on the context and writes one line per request when it ends:
 * request id, method, path, status and duration. It reads LOG_LEVEL straight from the env so
 * that it still logs when the configuration itself is broken.
 *
 * @example
 * app.use(requestId(), requestLogger())
 */
export function requestLogger(): MiddlewareHandler<AppEnv> {
  return async function requestLoggerMiddleware(c, next) {
    const started = Date.now();
    const log = createLogger(levelFrom(c.env?.LOG_LEVEL), { requestId: c.get('requestId') });
    c.set('log', log);
    await next();
    const status = c.res.status;
    // Paths can carry secrets (an invitation token): log the route pattern for those.
    const route = c.req.routePath;
    const fields = {
      method: c.req.method,
      path: route.includes(':token') ? route : c.req.path,
      host: c.req.header('host'),
      status,
      durationMs: Date.now() - started,
    };
    if (status >= 500) log.error('request', fields);
    else log.info('request', fields);
  };
}
