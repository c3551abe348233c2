import '../styles/admin.css';
import { Link, Route, Switch, useRoute } from 'wouter';
import { AuthLayout, BrandMark } from '../components/AuthLayout';
import { useAppName, useSession, useTenant } from '../tenant/TenantProvider';
import { DomainsPage } from './DomainsPage';
import { MembersPage } from './MembersPage';
import { AuditLogPage } from './AuditLogPage';

/**
 * `/admin/*`: running the workspace, for its owners and admins (a lazily loaded chunk: members
 * never download it). The API refuses anyone else anyway; this page says so instead of showing
 * forms that would fail.
 */
const SECTIONS = [
  { path: 'members', label: 'Members' },
  { path: 'audit-log', label: 'Audit log' },
  { path: 'domains', label: 'Custom domains' },
] as const;

export default function AdminApp() {
  const session = useSession();
  const role = session?.user.role;
  if (role !== 'owner' && role !== 'admin') {
    return (
      <AuthLayout title="Workspace admin">
        <p role="alert">Only the workspace's owners and admins can open its admin pages.</p>
        <p className="auth-footer">
          <Link href="~/">Back to the chat</Link>
        </p>
      </AuthLayout>
    );
  }
  return <AdminShell />;
}

function AdminShell() {
  const { tenant } = useTenant();
  const name = useAppName();
  return (
    <div className="admin-page">
      <header className="admin-header">
        <span className="admin-brand">
          <BrandMark name={name} logoUrl={tenant?.branding.logoUrl} />
          <strong>{name}</strong> <span className="muted">admin</span>
        </span>
        <Link href="~/" className="btn btn-ghost btn-sm">
          Back to the chat
        </Link>
      </header>
      <div className="admin-body">
        <nav className="admin-nav" aria-label="Workspace admin">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.path}>
                <NavLink path={s.path} label={s.label} />
              </li>
            ))}
          </ul>
        </nav>
        <main className="admin-main" id="main">
          <Switch>
            <Route path="/audit-log">
              <AuditLogPage />
            </Route>
            <Route path="/domains">
              <DomainsPage />
            </Route>
            <Route>
              <MembersPage />
            </Route>
          </Switch>
        </main>
      </div>
    </div>
  );
}

function NavLink({ path, label }: { path: string; label: string }) {
  const [exact] = useRoute(`/${path}`);
  // The admin's home (/admin) is the members page.
  const [home] = useRoute('/');
  const active = exact || (home && path === 'members');
  return (
    <Link href={`/${path}`} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
}
