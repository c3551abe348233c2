import '../styles/admin.css';
import './operator.css';
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import type { PlatformInfo } from '../api/types';
import { describeError } from '../api/errors';
import { Splash } from '../components/AuthLayout';
import { notices } from '../lib/notices';
import { operatorApi } from './api';
import { OperatorContext, SESSION_ENDED_NOTICE, isAbort } from './session';
import { OperatorSignIn } from './OperatorSignIn';
import { TenantsPage } from './TenantsPage';
import { TenantPage } from './TenantPage';
import { OperatorUsagePage } from './OperatorUsagePage';

/**
 * `/operator/*` on the platform host: the platform operators' console (a lazily loaded chunk:
 * nobody else downloads it). Signed out, every address shows the sign-in page, and after signing
 * in the page that was asked for. Routes are relative: App nests this under `/operator`.
 */
type SessionState = { kind: 'checking' } | { kind: 'signedOut'; notice: string | null } | { kind: 'signedIn' };

const SECTIONS = [
  { href: '/', label: 'Tenants' },
  { href: '/usage', label: 'Usage' },
] as const;

export default function OperatorApp({ platform }: { platform: PlatformInfo }) {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });

  useEffect(() => {
    const ctrl = new AbortController();
    operatorApi.session(ctrl.signal).then(
      (s) => setState(s.signedIn ? { kind: 'signedIn' } : { kind: 'signedOut', notice: null }),
      (err: unknown) => {
        if (!isAbort(err)) setState({ kind: 'signedOut', notice: describeError(err) });
      },
    );
    return () => ctrl.abort();
  }, []);

  const sessionEnded = useCallback((notice: string = SESSION_ENDED_NOTICE) => setState({ kind: 'signedOut', notice }), []);
  const context = useMemo(() => ({ baseDomain: platform.baseDomain, sessionEnded }), [platform.baseDomain, sessionEnded]);

  if (state.kind === 'checking') return <Splash label="Opening the operator console" />;
  if (state.kind === 'signedOut') return <OperatorSignIn notice={state.notice} onSignedIn={() => setState({ kind: 'signedIn' })} />;
  return (
    <OperatorContext.Provider value={context}>
      <OperatorShell onSignedOut={() => setState({ kind: 'signedOut', notice: 'You are signed out of the operator console.' })}>
        <Switch>
          <Route path="/">
            <TenantsPage />
          </Route>
          <Route path="/tenants/:id">{(p) => <TenantPage id={p.id} />}</Route>
          <Route path="/usage">
            <OperatorUsagePage />
          </Route>
          <Route>
            <section aria-labelledby="operator-missing">
              <h1 id="operator-missing">Page not found</h1>
              <p>
                The console has no page at this address. <Link href="/">See all tenants</Link>.
              </p>
            </section>
          </Route>
        </Switch>
      </OperatorShell>
    </OperatorContext.Provider>
  );
}

function OperatorShell({ children, onSignedOut }: { children: ReactNode; onSignedOut: () => void }) {
  const [busy, setBusy] = useState(false);

  async function signOut() {
    setBusy(true);
    try {
      await operatorApi.signOut();
      onSignedOut();
    } catch (err) {
      notices.toast(describeError(err));
      setBusy(false);
    }
  }

  return (
    <div className="admin-page operator-page">
      <header className="admin-header">
        <span className="admin-brand">
          <span className="mark" aria-hidden="true">
            n
          </span>
          <strong>nchat</strong> <span className="muted">operator console</span>
        </span>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void signOut()} disabled={busy}>
          {busy ? 'Signing out…' : 'Sign out'}
        </button>
      </header>
      <div className="admin-body">
        <nav className="admin-nav" aria-label="Operator console">
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
  // A tenant's page belongs to the tenants section.
  const active = href === '/' ? location === '/' || location === '' || location.startsWith('/tenants/') : location === href;
  return (
    <Link href={href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
}
