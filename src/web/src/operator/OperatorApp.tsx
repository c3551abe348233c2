import '../styles/admin.css';
import './operator.css';
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Route, Switch } from 'wouter';
import type { PlatformInfo } from '../api/types';
import { describeError } from '../api/errors';
import { AppShell, ShellNotFound } from '../components/AppShell';
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
            <ShellNotFound what="console" home="/" homeLabel="See all tenants" />
          </Route>
        </Switch>
      </OperatorShell>
    </OperatorContext.Provider>
  );
}

/** A tenant's page belongs to the tenants section. */
function isActive(href: string, location: string): boolean {
  return href === '/' ? location === '/' || location === '' || location.startsWith('/tenants/') : location === href;
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
    <AppShell
      className="operator-page"
      mark={
        <span className="mark" aria-hidden="true">
          n
        </span>
      }
      name="nchat"
      subtitle="operator console"
      action={
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void signOut()} disabled={busy}>
          {busy ? 'Signing out…' : 'Sign out'}
        </button>
      }
      navLabel="Operator console"
      sections={SECTIONS}
      isActive={isActive}
    >
      {children}
    </AppShell>
  );
}
