import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';

/**
 * Counts one attempt against `key` (limit per window) in its RateLimiter object and refuses
 * with 429 `rate_limited` and Retry-After when the window is full.
 */
export async function enforceRateLimit(c: Context<AppEnv>, key: string, limit: number, windowSeconds: number, what: string): Promise<void> {
  const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(key));
  const result = await stub.hit(limit, windowSeconds);
  if (!result.allowed) {
    throw new DomainError('rate_limited', `Too many ${what}. Try again in ${result.retryAfterSeconds} seconds.`, { limit, windowSeconds, retryAfterSeconds: result.retryAfterSeconds });
  }
}

/** The client's address as Cloudflare reports it; absent in some local setups. */
export function clientIp(c: Context<AppEnv>): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}
