import type { Config } from '../config';
import type { AppBindings } from '../env';
import type { Logger } from '../http/logger';
import { billingDepsFromEnv } from './deps';
import { suspendOverdueTenants } from './grace';

/** The daily cron's billing step: suspend workspaces past due for longer than the grace period. */
export async function sweepOverdueSubscriptions(env: AppBindings, config: Config, now: Date, log: Logger): Promise<void> {
  try {
    const result = await suspendOverdueTenants(billingDepsFromEnv(env, config), now);
    log.info('billing_overdue_suspended', { count: result.suspended.length, tenantIds: result.suspended });
    for (const f of result.failed) log.error('billing_overdue_suspend_failed', { tenantId: f.id, error: f.error });
  } catch (err) {
    // The cron's other steps must still run.
    log.error('billing_overdue_sweep_failed', { error: err instanceof Error ? err.message : String(err) });
  }
}
