import { DurableObject } from 'cloudflare:workers';

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a new attempt may succeed (0 when allowed). */
  retryAfterSeconds: number;
  /** Unix ms when the oldest counted attempt leaves the window. */
  resetAt: number;
}

/**
 * An exact sliding-window limiter for one key (one object per key, e.g. `signup:<ip>`, so
 * there is no global object and no cross-key contention). Each object keeps the times of the
 * attempts inside its window in SQLite storage; requests to one object are serialized by the
 * runtime, so two simultaneous attempts can never both take the last slot.
 */
export class RateLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL)');
    });
  }

  /** Counts an attempt if it fits `limit` per `windowSeconds`, and says whether it did. */
  async hit(limit: number, windowSeconds: number, now = Date.now()): Promise<RateLimitResult> {
    const sql = this.ctx.storage.sql;
    const windowStart = now - windowSeconds * 1000;
    sql.exec('DELETE FROM hits WHERE at <= ?', windowStart);
    const times = sql.exec<{ at: number }>('SELECT at FROM hits ORDER BY at').toArray().map((r) => r.at);
    if (times.length >= limit) {
      const resetAt = times[times.length - limit]! + windowSeconds * 1000;
      return { allowed: false, limit, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)), resetAt };
    }
    sql.exec('INSERT INTO hits (at) VALUES (?)', now);
    // Nothing left to keep once the window has passed: let the storage go.
    await this.ctx.storage.setAlarm(now + windowSeconds * 1000 + 1000);
    const resetAt = (times[0] ?? now) + windowSeconds * 1000;
    return { allowed: true, limit, remaining: limit - times.length - 1, retryAfterSeconds: 0, resetAt };
  }

  /** Forget earlier attempts (e.g. after a successful login). */
  async reset(): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM hits');
  }

  override async alarm(): Promise<void> {
    const latest = this.ctx.storage.sql.exec<{ at: number | null }>('SELECT max(at) AS at FROM hits').one().at;
    if (latest === null || latest < Date.now() - 24 * 3600 * 1000) await this.ctx.storage.deleteAll();
  }
}
