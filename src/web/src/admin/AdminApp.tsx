import '../styles/admin.css';
import type { ReactNode } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { AuthLayout, BrandMark } from '../components/AuthLayout';
import { useAppName, useSession, useTenant } from '../tenant/TenantProvider';
import { AuditLogPage } from './AuditLogPage';
import { BillingPage } from './BillingPage';
import { DomainsPage } from './DomainsPage';
import { MembersPage } from './MembersPage';
import { UsagePage } from './UsagePage';
import { SettingsPage } from './SettingsPage';


/**
 * `/admin/*` and `/billing`: running the workspace, for its owners and admins (a lazily loaded
 * chunk: members never download it). The API refuses anyone else anyway; this page says so
 * instead of showing forms that would fail. Paths are absolute (App routes both prefixes here,
 * not nested), so one shell and one menu serve both.
 */
const SECTIONS = [
  { href: '/admin/members', label: 'Members' },
  { href: '/billing', label: 'Billing and plan' },
  { href: '/admin/usage', label: 'Usage' },
  { href: '/admin/audit-log', label: 'Audit log' },
  { href: '/admin/domains', label: 'Custom domains' },
  { href: '/admin/settings', label: 'Settings' },
] as const;

export default function AdminApp() {
  const session = useSession();
  const role = session?.user.role;
  if (role !== 'owner' && role !== 'admin') {
    return (
      <AuthLayout title="Workspace admin">
        <p role="alert">Only the workspace's owners and admins can open its admin pages.</p>
        <p className="auth-footer">
          <Link href="/">Back to the chat</Link>
        </p>
      </AuthLayout>
    );
  }
  return (
    <AdminShell>
      <Switch>
        <Route path="/billing">
          <BillingPage />
        </Route>
        <Route path="/admin/usage">
          <UsagePage />
        </Route>
        <Route path="/admin/audit-log">
          <AuditLogPage />
        </Route>
        <Route path="/admin/settings">
          <SettingsPage />
        </Route>
        <Route path="/admin/domains">
          <DomainsPage />
        </Route>
        <Route>
          <MembersPage />
        </Route>
      </Switch>
    </AdminShell>
  );
}

function AdminShell({ children }: { children: ReactNode }) {
  const { tenant } = useTenant();
  const name = useAppName();
  return (
    <div className="admin-page">
      <header className="admin-header">
        <span className="admin-brand">
          <BrandMark name={name} logoUrl={tenant?.branding.logoUrl} />
          <strong>{name}</strong> <span className="muted">admin</span>
        </span>
        <Link href="/" className="btn btn-ghost btn-sm">
          Back to the chat
        </Link>
      </header>
      <div className="admin-body">
        <nav className="admin-nav" aria-label="Workspace admin">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.href}>
                <NavLink href={s.href} label={s.label} />
              </li>
            ))}
          </ul>
        </nav>
        <main className="admin-main" id="main">
          {children}
        </main>
      </div>
    </div>
  );
}

function NavLink({ href, label }: { href: string; label: string }) {
  const [location] = useLocation();
  // The admin's home (/admin) is the members page.
  const active = location === href || (href === '/admin/members' && (location === '/admin' || location === '/admin/'));
  return (
    <Link href={href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
}
