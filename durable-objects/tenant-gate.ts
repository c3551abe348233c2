import { DurableObject } from 'cloudflare:workers';

/**
 * One per tenant (`idFromName(tenantId)`): the authoritative status, plan and limits snapshot,
 * the per-plan rate limit, the monthly API-call quota and usage counters. This is its skeleton;
 * the plans issue gives it its work.
 */
export class TenantGate extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS gate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    });
  }

  /** Liveness probe for tests and diagnostics: proves the object and its SQLite storage work. */
  async describe(): Promise<{ kind: 'TenantGate'; id: string; storage: 'sqlite' }> {
    this.ctx.storage.sql.exec("INSERT INTO gate_meta (key, value) VALUES ('last_seen', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", new Date().toISOString());
    return { kind: 'TenantGate', id: this.ctx.id.toString(), storage: 'sqlite' };
  }
}
