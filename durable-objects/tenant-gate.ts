import { DurableObject } from 'cloudflare:workers';
import { configFor } from '../src/config';
import { openDatabase } from '../src/db/client';
import type { TenantSnapshot } from '../src/tenancy/snapshot';
import { tenantEntitlements } from '../src/tenancy/snapshot';
import { sqlState } from '../src/db/errors';
import { recordApiCallsQuery, recordUsageQueries } from '../src/usage/record';
import { randomToken, sha256Hex } from '../src/auth/tokens';
import type { UserRole } from '../src/db/schema';

/**
 * One per tenant (`idFromName(tenantId)`), called once per tenant API request. It answers
 * "may this request go on?" from state it owns:
 *  - the authoritative tenant snapshot: tenant writes push theirs here after commit (version
 *    ordered), so a suspension or plan change applies on the very next request everywhere,
 *    whatever KV or an isolate still remembers;
 *  - the per-plan rate limit, exact: a fixed one-minute window counted in this object, whose
 *    calls the runtime serialises, so 200 parallel requests on a 60/minute plan let exactly 60 in;
 *  - the monthly API-call quota and the API-call counters (total and per route group), kept in
 *    SQLite so they survive eviction, and written to public.tenant_usage by an alarm — as
 *    absolute values, so a retried alarm never counts twice. A request's counts take effect at
 *    once (in this object's memory: every decision adds what is not written yet) and reach
 *    SQLite a turn of the event loop later, in one write for every request admitted meanwhile,
 *    so no answer waits for a storage write to be confirmed (see persistSoon);
 *  - which of the tenant's chat rooms have sockets open (they register while they do): a newer
 *    snapshot is pushed on to them, so sockets opened before a suspension or a plan change are
 *    judged by it at once.
 */
export interface GateDecision {
  allowed: boolean;
  /** Why not: suspended/cancelled tenant, rate limited, monthly quota used up. */
  reason?: 'tenant_suspended' | 'tenant_cancelled' | 'rate_limited' | 'quota_exceeded';
  rateLimit: { limit: number | null; remaining: number | null; resetSeconds: number };
  quota: { limit: number | null; used: number; period: string; resetsAt: string };
  /** The gate's snapshot, only when it is newer than the one the caller sent (otherwise the caller's is current). */
  snapshot?: TenantSnapshot;
}

const FLUSH_DELAY_MS = 30_000;

/**
 * Who a request is from, as far as the plan's limits go. API clients (a token in
 * `Authorization`) are what the plan's requests-a-minute and API-calls-a-month measure. The web
 * app's own requests (the browser's session cookie, or a same-origin browser request before
 * sign-in) are people using the product: they count against neither, only against a per-person
 * (or, before sign-in, per-address) ceiling that stops a runaway client, not a team.
 */
export type Caller = { kind: 'api' } | { kind: 'app'; key: string };

/** The web app's ceilings, per minute: a signed-in person, and a browser not signed in yet (per address). */
export const APP_REQUESTS_PER_MINUTE = { person: 300, anonymous: 120 } as const;
/** How long a sign-in handoff code lives: a browser redirect, not a link to keep. */
export const HANDOFF_TTL_MS = 60_000;

/** Who a handoff code signs in: the session it starts is checked against the database when redeemed. */
export interface HandoffUser {
  userId: string;
  role: UserRole;
  sessionVersion: number;
}
/** Rooms told of a tenant change at once (a tenant with thousands of open rooms is told in waves). */
const ROOM_PUSH_CONCURRENCY = 50;
const MEASURE_INTERVAL_MS = 5 * 60_000;
/** SQLSTATE foreign_key_violation: a usage row for a tenant whose row is gone. */
const FOREIGN_KEY_VIOLATION = '23503';

export function monthPeriod(now: number): string {
  const d = new Date(now);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function nextMonthStart(now: number): Date {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

export class TenantGate extends DurableObject<Env> {
  private snapshot: TenantSnapshot | null = null;
  /** Whether a flush alarm is known to be set: saves a storage read on every admitted request. */
  private alarmSet = false;
  /** When the alarm last measured the month (0 after an eviction: the next alarm measures). */
  private lastMeasuredAt = 0;
  /**
   * Counts admitted and not yet written to SQLite (see persistCounts): the minute window's (for
   * the window it is of), the API calls per `period route`, the web app's windows per key.
   * Every decision adds them to what SQLite holds.
   */
  private pendingWindow: { windowStart: number; count: number } | null = null;
  private readonly pendingCalls = new Map<string, { period: string; route: string; count: number }>();
  private readonly pendingApp = new Map<string, { windowStart: number; count: number }>();
  private persistScheduled = false;
  /** The minute whose window the web app's older windows were last deleted before. */
  private appWindowsPrunedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const sql = this.ctx.storage.sql;
      sql.exec('CREATE TABLE IF NOT EXISTS gate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS rate_window (id INTEGER PRIMARY KEY CHECK (id = 1), window_start INTEGER NOT NULL, count INTEGER NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS api_calls (period TEXT NOT NULL, route TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (period, route))');
      sql.exec('CREATE TABLE IF NOT EXISTS watched_rooms (channel_id TEXT PRIMARY KEY, since INTEGER NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS handoffs (code_hash TEXT PRIMARY KEY, user_json TEXT NOT NULL, expires INTEGER NOT NULL)');
      sql.exec('CREATE TABLE IF NOT EXISTS app_windows (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)');
      const row = sql.exec<{ value: string }>("SELECT value FROM gate_meta WHERE key = 'snapshot'").toArray()[0];
      if (row) this.snapshot = JSON.parse(row.value) as TenantSnapshot;
    });
  }

  /** Liveness probe for tests and diagnostics. */
  async describe(): Promise<{ kind: 'TenantGate'; id: string; storage: 'sqlite' }> {
    this.ctx.storage.sql.exec("INSERT INTO gate_meta (key, value) VALUES ('last_seen', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", new Date().toISOString());
    return { kind: 'TenantGate', id: this.ctx.id.toString(), storage: 'sqlite' };
  }

  /**
   * A tenant write committed: from now on this is the tenant (unless an even newer one came),
   * here and in every room with open sockets. A room that cannot be reached is logged and kept
   * (it takes the snapshot when it next registers or hears from a caller); one that has no
   * sockets left is forgotten.
   */
  async update(snapshot: TenantSnapshot): Promise<void> {
    if (!this.adopt(snapshot)) return;
    const rooms = this.ctx.storage.sql.exec<{ channel_id: string }>('SELECT channel_id FROM watched_rooms').toArray().map((r) => r.channel_id);
    for (let i = 0; i < rooms.length; i += ROOM_PUSH_CONCURRENCY) {
      await Promise.all(
        rooms.slice(i, i + ROOM_PUSH_CONCURRENCY).map(async (channelId) => {
          try {
            const { sockets } = await this.env.CHAT_ROOM.get(this.env.CHAT_ROOM.idFromName(`${snapshot.id}:${channelId}`)).tenantChanged(snapshot);
            if (sockets === 0) this.ctx.storage.sql.exec('DELETE FROM watched_rooms WHERE channel_id = ?', channelId);
          } catch (err) {
            console.warn(JSON.stringify({ level: 'warn', msg: 'room_tenant_push_failed', tenantId: snapshot.id, channelId, error: err instanceof Error ? err.message : String(err) }));
          }
        }),
      );
    }
  }

  /**
   * A single-use code that signs `user` in on one of this tenant's hosts within `ttlMs`: how a
   * browser that signed up on the platform host arrives signed in at the new workspace (the
   * session cookie is per host, so it cannot be set from the platform). Kept here, not in KV:
   * the redeeming request may come to another location a moment later, and this object is one
   * consistent place. Only the code's hash is stored.
   */
  async issueHandoff(user: HandoffUser, ttlMs = HANDOFF_TTL_MS): Promise<string> {
    const code = randomToken(32);
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM handoffs WHERE expires < ?', Date.now());
    sql.exec('INSERT INTO handoffs (code_hash, user_json, expires) VALUES (?, ?, ?)', await sha256Hex(code), JSON.stringify(user), Date.now() + ttlMs);
    return code;
  }

  /** The user a handoff code signs in, once; null for an unknown, used or expired code. */
  async redeemHandoff(code: string): Promise<HandoffUser | null> {
    const sql = this.ctx.storage.sql;
    const hash = await sha256Hex(code);
    const row = sql.exec<{ user_json: string; expires: number }>('SELECT user_json, expires FROM handoffs WHERE code_hash = ?', hash).toArray()[0];
    sql.exec('DELETE FROM handoffs WHERE code_hash = ?', hash); // single use, even if expired
    if (!row || row.expires < Date.now()) return null;
    return JSON.parse(row.user_json) as HandoffUser;
  }

  /** A room of this tenant has sockets open: tenant changes are pushed to it. Answers the current snapshot. */
  async watchRoom(channelId: string): Promise<TenantSnapshot | null> {
    this.ctx.storage.sql.exec('INSERT INTO watched_rooms (channel_id, since) VALUES (?, ?) ON CONFLICT (channel_id) DO NOTHING', channelId, Date.now());
    return this.snapshot;
  }

  /** The room's last socket closed. */
  async unwatchRoom(channelId: string): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM watched_rooms WHERE channel_id = ?', channelId);
  }

  /**
   * Decides on one API request and counts it. `known` is the snapshot the Worker resolved
   * (possibly older than ours); `route` is the route group for the per-endpoint counters.
   */
  async admit(known: TenantSnapshot, route: string, now = Date.now(), caller: Caller = { kind: 'api' }): Promise<GateDecision> {
    this.adopt(known);
    const tenant = this.snapshot!;
    const period = monthPeriod(now);
    const { limits } = tenantEntitlements(tenant, now);
    const sql = this.ctx.storage.sql;
    const used = Number(sql.exec<{ n: number | null }>('SELECT sum(count) AS n FROM api_calls WHERE period = ?', period).one().n ?? 0) + this.pendingCallsOf(period);
    const windowStart = Math.floor(now / 60_000) * 60_000;
    const resetSeconds = Math.max(1, Math.ceil((windowStart + 60_000 - now) / 1000));
    const quota = { limit: limits.apiCallsPerMonth, used, period, resetsAt: nextMonthStart(now).toISOString() };
    // Sent back only when the caller's is older: a snapshot is not copied both ways on every request.
    const base = tenant.version > known.version ? { snapshot: tenant, quota } : { quota };

    if (tenant.status === 'suspended' || tenant.status === 'cancelled') {
      return { ...base, allowed: false, reason: tenant.status === 'suspended' ? 'tenant_suspended' : 'tenant_cancelled', rateLimit: { limit: limits.requestsPerMinute, remaining: null, resetSeconds } };
    }

    if (caller.kind === 'app') return this.admitApp(base, caller.key, windowStart, resetSeconds);

    const rpm = limits.requestsPerMinute;
    const current = sql.exec<{ window_start: number; count: number }>('SELECT window_start, count FROM rate_window WHERE id = 1').toArray()[0];
    const pending = this.pendingWindow?.windowStart === windowStart ? this.pendingWindow.count : 0;
    const inWindow = (current && current.window_start === windowStart ? current.count : 0) + pending;
    if (rpm !== null && inWindow >= rpm) {
      return { ...base, allowed: false, reason: 'rate_limited', rateLimit: { limit: rpm, remaining: 0, resetSeconds } };
    }
    if (quota.limit !== null && used >= quota.limit) {
      return { ...base, allowed: false, reason: 'quota_exceeded', rateLimit: { limit: rpm, remaining: rpm === null ? null : rpm - inWindow, resetSeconds } };
    }
    // Counted now (the next decision sees it), written at the next turn.
    this.pendingWindow = { windowStart, count: pending + 1 };
    const key = `${period} ${route}`;
    const calls = this.pendingCalls.get(key);
    if (calls) calls.count += 1;
    else this.pendingCalls.set(key, { period, route, count: 1 });
    this.persistSoon();
    // The alarm that writes the counters to Postgres: set by the first call after each flush
    // (a storage write that this one answer waits for, once in FLUSH_DELAY_MS).
    if (!this.alarmSet) await this.scheduleFlush(now);
    return {
      ...base,
      quota: { ...quota, used: used + 1 },
      allowed: true,
      rateLimit: { limit: rpm, remaining: rpm === null ? null : rpm - inWindow - 1, resetSeconds },
    };
  }

  /** The web app's request: its own per-key minute window; not an API call, so neither the plan's rate nor its quota counts it. */
  private admitApp(base: Pick<GateDecision, 'snapshot' | 'quota'>, key: string, windowStart: number, resetSeconds: number): GateDecision {
    const sql = this.ctx.storage.sql;
    const limit = key.startsWith('user:') ? APP_REQUESTS_PER_MINUTE.person : APP_REQUESTS_PER_MINUTE.anonymous;
    const row = sql.exec<{ window_start: number; count: number }>('SELECT window_start, count FROM app_windows WHERE key = ?', key).toArray()[0];
    const pendingEntry = this.pendingApp.get(key);
    const pending = pendingEntry?.windowStart === windowStart ? pendingEntry.count : 0;
    const used = (row && row.window_start === windowStart ? row.count : 0) + pending;
    if (used >= limit) return { ...base, allowed: false, reason: 'rate_limited', rateLimit: { limit, remaining: 0, resetSeconds } };
    this.pendingApp.set(key, { windowStart, count: pending + 1 });
    this.persistSoon();
    return { ...base, allowed: true, rateLimit: { limit, remaining: limit - used - 1, resetSeconds } };
  }

  private pendingCallsOf(period: string): number {
    let n = 0;
    for (const c of this.pendingCalls.values()) if (c.period === period) n += c.count;
    return n;
  }

  /**
   * Writes the pending counts at the next turn of the event loop. A storage write holds every
   * outgoing message of this object until it is confirmed (the output gate): written in
   * `admit`, each answer waited for its own write (measured under `wrangler dev`: most of the
   * gate's cost on a warm request). Written a turn later, the answers have left first, and one
   * write serves every request admitted in between (a burst). The limits stay exact: decisions
   * count what is pending. Only a reset of the object within that turn (a crash) could lose
   * those counts; eviction comes to an idle object, long after the write.
   */
  private persistSoon(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    setTimeout(() => this.persistCounts(), 0);
  }

  /** The pending counts into SQLite, in one implicit transaction (synchronous: nothing interleaves). */
  private persistCounts(): void {
    this.persistScheduled = false;
    const sql = this.ctx.storage.sql;
    const window = this.pendingWindow;
    if (window) {
      // Moves the row to the pending window (a count of another window is over).
      sql.exec(
        'INSERT INTO rate_window (id, window_start, count) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET window_start = excluded.window_start, count = CASE WHEN rate_window.window_start = excluded.window_start THEN rate_window.count + excluded.count ELSE excluded.count END',
        window.windowStart,
        window.count,
      );
    }
    for (const c of this.pendingCalls.values()) {
      sql.exec('INSERT INTO api_calls (period, route, count) VALUES (?, ?, ?) ON CONFLICT (period, route) DO UPDATE SET count = count + excluded.count', c.period, c.route, c.count);
    }
    let newest = 0;
    for (const [key, w] of this.pendingApp) {
      sql.exec(
        'INSERT INTO app_windows (key, window_start, count) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start, count = CASE WHEN app_windows.window_start = excluded.window_start THEN app_windows.count + excluded.count ELSE excluded.count END',
        key,
        w.windowStart,
        w.count,
      );
      newest = Math.max(newest, w.windowStart);
    }
    // Windows of earlier minutes are over: they go (at most once a minute).
    if (newest > this.appWindowsPrunedAt) {
      sql.exec('DELETE FROM app_windows WHERE window_start < ?', newest);
      this.appWindowsPrunedAt = newest;
    }
    this.pendingWindow = null;
    this.pendingCalls.clear();
    this.pendingApp.clear();
  }

  /** Counters as they stand (tests, diagnostics). */
  async counters(period: string): Promise<{ total: number; byRoute: Record<string, number> }> {
    this.persistCounts();
    const rows = this.ctx.storage.sql.exec<{ route: string; count: number }>('SELECT route, count FROM api_calls WHERE period = ?', period).toArray();
    return { total: rows.reduce((s, r) => s + r.count, 0), byRoute: Object.fromEntries(rows.map((r) => [r.route, r.count])) };
  }

  /**
   * Writes the API-call counters of every period still held to public.tenant_usage, and with the
   * current month's, the rest of its usage (people, channels, messages measured from the
   * tenant's tables, plus the 80%/100% audit entries): usage rows stay as fresh as the traffic,
   * without any request writing one.
   */
  override async alarm(): Promise<void> {
    // The alarm is used up once it runs; the next admitted request sets a new one.
    this.alarmSet = false;
    const tenant = this.snapshot;
    if (!tenant) return;
    this.persistCounts();
    const rows = this.ctx.storage.sql.exec<{ period: string; route: string; count: number }>('SELECT period, route, count FROM api_calls ORDER BY period').toArray();
    const periods = new Map<string, { total: number; byRoute: Record<string, number> }>();
    for (const r of rows) {
      const p = periods.get(r.period) ?? { total: 0, byRoute: {} };
      p.total += r.count;
      p.byRoute[r.route] = r.count;
      periods.set(r.period, p);
    }
    const database = openDatabase(configFor(this.env));
    const current = monthPeriod(Date.now());
    const apiOnly = [...periods].map(([period, apiCalls]) => recordApiCallsQuery(database, tenant.id, period, apiCalls));
    if (apiOnly.length) {
      try {
        const apiCalls = periods.get(current);
        // Measuring scans the month's messages: at most every MEASURE_INTERVAL_MS; the flushes
        // in between write the API calls only (the daily job measures quiet tenants).
        const measure = apiCalls !== undefined && Date.now() - this.lastMeasuredAt >= MEASURE_INTERVAL_MS;
        const statements = [...periods]
          .filter(([p]) => !(measure && p === current))
          .map(([period, counts]) => recordApiCallsQuery(database, tenant.id, period, counts));
        if (measure) statements.push(...recordUsageQueries(database, { tenantId: tenant.id, schemaName: tenant.schemaName, period: current, limits: tenantEntitlements(tenant).limits, apiCalls }));
        await database.transaction(statements);
        if (measure) this.lastMeasuredAt = Date.now();
      } catch (err) {
        // Measuring can fail where counting cannot (a purged tenant's schema is gone): the API
        // calls are still written. If this fails too, the alarm is retried.
        console.warn(JSON.stringify({ level: 'warn', msg: 'usage_measure_failed', tenantId: tenant.id, error: err instanceof Error ? err.message : String(err) }));
        try {
          await database.transaction(apiOnly);
        } catch (apiErr) {
          // No tenant row for the counters (23503): the tenant was purged. Nothing here belongs
          // to anyone any more; retrying would fail the same way, for every retry the runtime makes.
          if (sqlState(apiErr) !== FOREIGN_KEY_VIOLATION) throw apiErr;
          await this.forgetPurgedTenant(tenant.id);
          return;
        }
      }
    }
    // Periods before the current month are complete once written: forget them.
    this.ctx.storage.sql.exec('DELETE FROM api_calls WHERE period < ?', current);
  }

  /** The tenant is gone from the database: its counters, snapshot and alarm go too. */
  private async forgetPurgedTenant(tenantId: string): Promise<void> {
    console.info(JSON.stringify({ level: 'info', msg: 'gate_tenant_purged', tenantId }));
    await this.ctx.storage.deleteAlarm();
    this.pendingWindow = null;
    this.pendingCalls.clear();
    this.pendingApp.clear();
    this.ctx.storage.sql.exec('DELETE FROM api_calls');
    this.ctx.storage.sql.exec("DELETE FROM gate_meta WHERE key = 'snapshot'");
    this.snapshot = null;
    this.alarmSet = false;
  }

  private async scheduleFlush(now: number): Promise<void> {
    if (this.alarmSet) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + FLUSH_DELAY_MS);
    this.alarmSet = true;
  }

  /** Keeps `snapshot` if it is newer than the one held; says whether it was. */
  private adopt(snapshot: TenantSnapshot): boolean {
    if (this.snapshot && this.snapshot.id === snapshot.id && this.snapshot.version >= snapshot.version) return false;
    this.snapshot = snapshot;
    this.ctx.storage.sql.exec("INSERT INTO gate_meta (key, value) VALUES ('snapshot', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(snapshot));
    return true;
  }
}
