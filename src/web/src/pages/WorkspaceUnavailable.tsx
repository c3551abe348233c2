import { useState } from 'react';
import type { ApiError } from '../api/errors';
import { AuthLayout } from '../components/AuthLayout';
import SignIn from './SignIn';
import { BillingPlaceholderContent } from './Billing';

/**
 * A workspace that cannot be used, as a page people can read: unknown address, suspended
 * (for non-payment, owners may still sign in and reach billing), cancelled, or not set up yet.
 */
export default function WorkspaceUnavailable({ error }: { error: ApiError }) {
  const [ownerSignedIn, setOwnerSignedIn] = useState(false);
  const host = location.host;
  const forBilling = error.code === 'tenant_suspended' && error.details?.reason === 'billing';

  if (forBilling && ownerSignedIn) {
    return (
      <AuthLayout title="Billing" wide>
        <BillingPlaceholderContent />
      </AuthLayout>
    );
  }
  if (forBilling && location.pathname === '/login') {
    return <SignIn notice="This workspace is suspended for non-payment. Owners can sign in to settle billing." onSignedIn={() => setOwnerSignedIn(true)} />;
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
              <p>If you are an owner, sign in to update billing and bring it back.</p>
              <a className="btn btn-primary" href="/login">
                Owner sign-in
              </a>
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
