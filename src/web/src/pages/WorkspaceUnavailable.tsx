import type { ApiError } from '../api/errors';
import type { SessionBootstrap } from '../api/types';
import { mayBuy } from '../components/PlanNotice';
import { AuthLayout, Splash } from '../components/AuthLayout';
import { chunk, useChunk } from '../lib/chunk';
import SignIn from './SignIn';

/** The billing page from its own chunk: an owner of a workspace suspended for non-payment pays here. */
const billingChunk = chunk(() => import('../admin/BillingPage'));

function Billing() {
  const { module, failed } = useChunk(billingChunk);
  if (failed) return <p className="form-error">The billing page could not be loaded; reload to try again.</p>;
  if (!module) return <Splash label="Loading billing" />;
  return <module.BillingPage />;
}

/**
 * A workspace that cannot be used, as a page people can read: unknown address, suspended
 * (for non-payment, owners may still sign in and reach billing), cancelled, or not set up yet.
 */
export default function WorkspaceUnavailable({ error, session }: { error: ApiError; session: SessionBootstrap | null }) {
  const host = location.host;
  const forBilling = error.code === 'tenant_suspended' && error.details?.reason === 'billing';

  if (forBilling && session && mayBuy(session.user.role)) {
    return (
      <div className="admin-page">
        <main className="admin-body admin-main" id="main">
          <Billing />
        </main>
      </div>
    );
  }
  if (forBilling && !session && location.pathname === '/login') {
    return <SignIn notice="This workspace is suspended for non-payment. Owners and admins can sign in to settle billing." />;
  }

  switch (error.code) {
    case 'tenant_not_found':
      return (
        <AuthLayout title="No workspace here">
          <p>
            There is no workspace at <strong>{host}</strong>. Check the address for typos, or ask your team for the right link.
          </p>
        </AuthLayout>
      );
    case 'tenant_suspended':
      return (
        <AuthLayout title="This workspace is suspended">
          {forBilling ? (
            <>
              <p>The workspace at {host} is suspended because a payment did not go through. Messages and files are kept safe.</p>
              {session ? (
                <p>A workspace owner or admin can pay the open invoice and bring it back; please let them know.</p>
              ) : (
                <>
                  <p>If you are an owner or admin, sign in to pay and bring it back.</p>
                  <a className="btn btn-primary" href="/login">
                    Owner sign-in
                  </a>
                </>
              )}
            </>
          ) : (
            <p>The workspace at {host} has been suspended by the platform. Its owners have been told why; please contact them.</p>
          )}
        </AuthLayout>
      );
    case 'tenant_cancelled':
      return (
        <AuthLayout title="This workspace was closed">
          <p>The workspace at {host} has been cancelled by its owner. Its messages are no longer available here.</p>
        </AuthLayout>
      );
    case 'tenant_pending':
      return (
        <AuthLayout title="This workspace is being set up">
          <p>The workspace at {host} is not ready yet. Try again in a minute.</p>
          <button className="btn" type="button" onClick={() => location.reload()}>
            Try again
          </button>
        </AuthLayout>
      );
    default:
      return (
        <AuthLayout title="Workspace unavailable">
          <p>{error.message}</p>
        </AuthLayout>
      );
  }
}
