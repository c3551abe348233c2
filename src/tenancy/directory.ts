import { and, eq, isNull } from 'drizzle-orm';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { tenantDomains, tenants, type TenantRow } from '../db/schema';
import { slugHostname, type HostTarget } from './host';
import { snapshotFromRow, type TenantSnapshot } from './snapshot';

/**
 * Host → tenant, through three layers:
 *   1. this isolate's memory, for a few seconds (a warm request costs nothing);
 *   2. KV `host:<hostname>`, a snapshot read with cacheTtl 60 (no database round trip);
 *   3. Postgres, whose answer is written back to both.
 * Unknown hosts are cached too, briefly, so a scan of random subdomains does not become a
 * database load. Every write to a tenant calls `publishTenant`, which overwrites the KV entry of
 * each of its hosts (and this isolate's copy), so the next request sees the change without
 * waiting for a TTL. KV is eventually consistent across locations (up to about 60 s); changes
 * that must apply everywhere at once also go to the tenant's TenantGate.
 */
const LOCAL_TTL_MS = 5_000;
const KV_CACHE_TTL_S = 60;
const KV_POSITIVE_TTL_S = 7 * 24 * 3600;
const KV_NEGATIVE_TTL_S = 60; // KV's minimum expiration

interface CacheEntry {
  tenant: TenantSnapshot | null;
  expires: number;
}

interface KvEntry {
  v: 1;
  tenant: TenantSnapshot | null;
}

const local = new Map<string, CacheEntry>();
/** Bound on this isolate's memory: a scan of random hostnames must not grow it forever. */
const LOCAL_MAX_ENTRIES = 10_000;

function remember(hostname: string, tenant: TenantSnapshot | null, expires: number): void {
  const current = local.get(hostname);
  // Never let an older snapshot replace a newer one (a slow cold read finishing after a write).
  if (current?.tenant && current.expires > Date.now()) {
    if (!tenant) return; // only forget() turns a live workspace into "unknown"
    if (current.tenant.id === tenant.id && current.tenant.version > tenant.version) return;
  }
  local.delete(hostname); // re-insert: Map order is then oldest-first, for eviction
  local.set(hostname, { tenant, expires });
  if (local.size > LOCAL_MAX_ENTRIES) {
    const oldest = local.keys().next().value;
    if (oldest !== undefined) local.delete(oldest);
  }
}

/**
 * Whether `next` may replace what KV holds for the host. KV has no compare-and-swap, so this
 * narrows rather than closes the window in which an older snapshot (or a stale "unknown")
 * could overwrite a newer one: a cache fill never replaces an existing entry with an older
 * version, and a negative fill never replaces an entry at all.
 */
export function supersedes(next: TenantSnapshot | null, existing: KvEntry | null): boolean {
  if (!existing || existing.v !== 1) return true;
  if (!next) return existing.tenant === null;
  if (!existing.tenant || existing.tenant.id !== next.id) return true;
  return next.version >= existing.tenant.version;
}

export function kvKey(hostname: string): string {
  return `host:${hostname}`;
}

type Lookup = Extract<HostTarget, { kind: 'slug' | 'custom' }>;

export class TenantDirectory {
  constructor(
    private readonly kv: KVNamespace,
    private readonly config: Pick<Config, 'BASE_DOMAIN'>,
    private readonly openDatabase: () => Database,
    /** Runs work after the response (ctx.waitUntil); without it, the work is awaited. */
    private readonly defer?: (work: Promise<unknown>) => void,
  ) {}

  /** The tenant a host names, or null. */
  async resolve(target: Lookup, now = Date.now()): Promise<TenantSnapshot | null> {
    const key = target.kind === 'slug' ? slugHostname(target.slug, this.config.BASE_DOMAIN) : target.hostname;
    const cached = local.get(key);
    if (cached && cached.expires > now) return cached.tenant;

    const fromKv = await this.kv.get<KvEntry>(kvKey(key), { type: 'json', cacheTtl: KV_CACHE_TTL_S });
    if (fromKv && fromKv.v === 1) {
      remember(key, fromKv.tenant, now + LOCAL_TTL_MS);
      return fromKv.tenant;
    }

    const row = await this.load(target);
    const tenant = row ? snapshotFromRow(row) : null;
    remember(key, tenant, now + LOCAL_TTL_MS);
    // Filling the cache need not delay this response.
    const fill = this.writeKv(key, tenant);
    if (this.defer) this.defer(fill);
    else await fill;
    return tenant;
  }

  private async load(target: Lookup): Promise<TenantRow | null> {
    const { db } = this.openDatabase();
    if (target.kind === 'slug') {
      const [row] = await db.select().from(tenants).where(and(eq(tenants.slug, target.slug), isNull(tenants.deletedAt))).limit(1);
      return row ?? null;
    }
    const [row] = await db
      .select({ tenant: tenants })
      .from(tenantDomains)
      .innerJoin(tenants, eq(tenants.id, tenantDomains.tenantId))
      .where(and(eq(tenantDomains.hostname, target.hostname), eq(tenantDomains.status, 'active'), isNull(tenants.deletedAt)))
      .limit(1);
    return row?.tenant ?? null;
  }

  /**
   * After a write: the tenant's current snapshot to every host it answers on (its subdomain and
   * the custom domains on the row). `previousHosts` are hosts it answered on before the write (an
   * old slug, a domain removed or no longer serving): those it no longer answers on are cleared.
   */
  async publish(row: TenantRow, previousHosts: string[] = [], now = Date.now()): Promise<void> {
    const tenant = snapshotFromRow(row);
    const { slugHost, domains } = TenantDirectory.hostsOf(row, this.config.BASE_DOMAIN);
    const hosts = [slugHost, ...domains];
    const stale = previousHosts.filter((h) => !hosts.includes(h));
    await Promise.all([
      ...hosts.map((h) => {
        remember(h, tenant, now + LOCAL_TTL_MS);
        return this.writeKv(h, tenant);
      }),
      ...stale.map((h) => this.forget(h)),
    ]);
  }

  private async writeKv(hostname: string, tenant: TenantSnapshot | null): Promise<void> {
    const existing = await this.kv.get<KvEntry>(kvKey(hostname), { type: 'json' });
    if (!supersedes(tenant, existing)) return;
    await this.kv.put(kvKey(hostname), JSON.stringify({ v: 1, tenant } satisfies KvEntry), {
      expirationTtl: tenant ? KV_POSITIVE_TTL_S : KV_NEGATIVE_TTL_S,
    });
  }

  /** After a purge or a removed host: the host answers "unknown" from the next request on. */
  async forget(hostname: string): Promise<void> {
    local.delete(hostname);
    await this.kv.delete(kvKey(hostname));
  }

  /**
   * The hosts a tenant answers on: its subdomain and the custom domains that serve it. Read off
   * the row itself (tenants.custom_domains, kept by src/domains/service.ts), so publishing a
   * write costs no extra query.
   */
  static hostsOf(row: Pick<TenantRow, 'slug' | 'customDomains'>, baseDomain: string): { slugHost: string; domains: string[] } {
    return { slugHost: slugHostname(row.slug, baseDomain), domains: [...row.customDomains] };
  }
}

/** Tests: forget what this isolate remembers (KV is left alone). */
export function clearLocalTenantCache(): void {
  local.clear();
}
