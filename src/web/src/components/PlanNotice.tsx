import { Link } from 'wouter';
import type { ApiError } from '../api/errors';
import type { Role, Tenant } from '../api/types';

/** Who may buy a plan: the people an upgrade button is for. */
export function mayBuy(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}

const RESOURCE_NAMES: Record<string, string> = {
  users: 'people',
  channels: 'channels',
  storageBytes: 'storage',
};

/**
 * A 402 plan_limit as a person reads it: which limit, how much is used, and (for owners and
 * admins, when there is a plan to move to) the way to upgrade.
 */
export function PlanLimitNotice({ error, role }: { error: ApiError; role: Role | undefined }) {
  const d = error.planLimit();
  const resource = d ? (RESOURCE_NAMES[d.resource] ?? d.resource) : 'this';
  return (
    <div className="form-error" role="alert">
      <p style={{ margin: 0 }}>
        <strong>Plan limit reached.</strong> {error.message}
        {d && d.resource !== 'storageBytes' ? ` (${d.used} of ${d.limit} ${resource} used.)` : ''}
      </p>
      {d?.upgrade && mayBuy(role) ? (
        <p style={{ margin: '8px 0 0' }}>
          <Link href="~/billing" className="btn btn-primary btn-sm">
            Upgrade plan
          </Link>
        </p>
      ) : d?.upgrade ? (
        <p style={{ margin: '6px 0 0' }}>Ask a workspace owner or admin to upgrade the plan.</p>
      ) : null}
    </div>
  );
}

/** A feature the plan lacks: an invitation to upgrade for those who may buy, a plain note for others. */
export function UpgradePrompt({ feature, role }: { feature: string; role: Role | undefined }) {
  return (
    <div className="form-note">
      <p style={{ margin: 0 }}>{feature} is not included in this workspace's plan.</p>
      {mayBuy(role) ? (
        <p style={{ margin: '8px 0 0' }}>
          <Link href="~/billing" className="btn btn-primary btn-sm">
            See plans
          </Link>
        </p>
      ) : (
        <p style={{ margin: '6px 0 0' }}>A workspace owner or admin can upgrade the plan.</p>
      )}
    </div>
  );
}

const LIMIT_WORDS: Record<string, (n: number) => string> = {
  users: (n) => `${n} people`,
  channels: (n) => `${n} channels`,
  storageBytes: (n) => `${(n / 1024 ** 3).toFixed(n < 1024 ** 3 ? 2 : 0)} GB of storage`,
};

/**
 * Above the chat when the plan no longer covers the workspace (a trial ended, a downgrade): what
 * is over which limit, that nothing was deleted, and the way to upgrade for those who may buy.
 */
export function PlanStatusBanner({ tenant, role }: { tenant: Tenant; role: Role | undefined }) {
  const over = tenant.limitsExceeded ?? [];
  const trialEnded = tenant.trial?.expired ?? false;
  if (!over.length && !trialEnded) return null;
  const describe = over.map((o) => `${(LIMIT_WORDS[o.resource] ?? ((n: number) => `${n} ${o.resource}`))(o.used)} of ${(LIMIT_WORDS[o.resource] ?? ((n: number) => String(n)))(o.limit)}`);
  return (
    <div className="banner warning" role="status">
      <span>
        {trialEnded ? 'The Pro trial has ended; this workspace is on the Free plan now. ' : ''}
        {over.length ? `Over the plan's limits (${describe.join('; ')}): everything stays readable, nothing more can be added.` : ''}
      </span>
      {mayBuy(role) ? (
        <Link href="/billing" className="btn btn-sm btn-primary">
          Upgrade
        </Link>
      ) : null}
    </div>
  );
}
