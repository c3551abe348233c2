import type { ReactNode } from 'react';
import { useAppName, useTenant } from '../tenant/TenantProvider';

/** The centred card of sign-in, invitation and state pages, under the workspace's logo and name. */
export function AuthLayout({ title, children, wide = false }: { title: string; children: ReactNode; wide?: boolean }) {
  const { tenant } = useTenant();
  const appName = useAppName();
  return (
    <main className="auth-page">
      <div className={`auth-card${wide ? ' wide' : ''}`}>
        <div className="auth-brand">
          <BrandMark name={appName} logoUrl={tenant?.branding.logoUrl} />
          <strong>{appName}</strong>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** The workspace's logo (from its branding: any URL, so fetched without a Referer naming this host), or its initial. */
export function BrandMark({ name, logoUrl }: { name: string; logoUrl?: string }) {
  if (logoUrl) return <img src={logoUrl} alt="" width={36} height={36} referrerPolicy="no-referrer" />;
  return (
    <span className="mark" aria-hidden="true">
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

export function Splash({ label = 'Loading' }: { label?: string }) {
  return (
    <main className="center-page" aria-busy="true">
      <div className="spinner" role="status" aria-label={label} />
    </main>
  );
}
