import '../styles/admin.css';
import type { ReactNode } from 'react';
import { Link, Route, Switch } from 'wouter';
import { AppShell, ShellNotFound } from '../components/AppShell';
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
        <Route path="/admin">
          <MembersPage />
        </Route>
        <Route path="/admin/members">
          <MembersPage />
        </Route>
        <Route>
          <ShellNotFound what="workspace admin" home="/admin" homeLabel="See the members" />
        </Route>
      </Switch>
    </AdminShell>
  );
}

/** The admin's home (/admin) is the members page. */
function isActive(href: string, location: string): boolean {
  return location === href || (href === '/admin/members' && (location === '/admin' || location === '/admin/'));
}

function AdminShell({ children }: { children: ReactNode }) {
  const { tenant } = useTenant();
  const name = useAppName();
  return (
    <AppShell
      mark={<BrandMark name={name} logoUrl={tenant?.branding.logoUrl} />}
      name={name}
      subtitle="admin"
      action={
        <Link href="/" className="btn btn-ghost btn-sm">
          Back to the chat
        </Link>
      }
      navLabel="Workspace admin"
      sections={SECTIONS}
      isActive={isActive}
    >
      {children}
    </AppShell>
  );
}
