import { Link } from 'wouter';
import { AuthLayout } from '../components/AuthLayout';
import { useTenant } from '../tenant/TenantProvider';

/** `/billing`: plans and payment come in the next release; this says so and what the plan is now. */
export default function Billing() {
  return (
    <AuthLayout title="Billing" wide>
      <BillingPlaceholderContent />
      <p className="auth-footer">
        <Link href="/">Back to the chat</Link>
      </p>
    </AuthLayout>
  );
}

const PLAN_NAMES: Record<string, string> = { free: 'Free', pro: 'Pro', enterprise: 'Enterprise', custom: 'Custom' };

export function BillingPlaceholderContent() {
  const { tenant } = useTenant();
  return (
    <>
      {tenant ? (
        <p>
          This workspace is on the <strong>{PLAN_NAMES[tenant.plan] ?? tenant.plan}</strong> plan
          {tenant.trial && !tenant.trial.expired ? `, on trial until ${new Date(tenant.trial.endsAt).toLocaleDateString()}` : ''}
          {tenant.trial?.expired ? '; its trial has ended' : ''}.
        </p>
      ) : null}
      <p>Choosing a plan and managing payment from this page is coming in the next release of the app.</p>
    </>
  );
}
