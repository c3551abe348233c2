import { lazy, Suspense, useEffect, useState } from 'react';
import { Redirect, Route, Switch } from 'wouter';
import { describeError } from './api/errors';
import { AuthLayout, Splash } from './components/AuthLayout';
import { RateLimitBanner, Toasts } from './components/Toasts';
import Invite from './pages/Invite';
import Landing from './pages/Landing';
import NotFound from './pages/NotFound';
import SignIn from './pages/SignIn';
import WorkspaceUnavailable from './pages/WorkspaceUnavailable';
import { loadChat, loadedChat } from './pages/chatChunk';
import type { PlatformInfo } from './api/types';
import { useBoot } from './tenant/TenantProvider';

/** Not needed at first paint: sign-up on the platform host, the chat on a workspace host (./pages/chatChunk). */
const SignUp = lazy(() => import('./pages/SignUp'));
/** The workspace admin pages, for owners and admins only: a chunk of their own. */
const AdminApp = lazy(() => import('./admin/AdminApp'));
/** The platform operators' console, on the platform host only: a chunk of its own. */
const OperatorApp = lazy(() => import('./operator/OperatorApp'));

/** Which app this host serves: the platform's pages, a workspace, or a page saying why not. */
export function App() {
  const { state } = useBoot();
  return (
    <>
      <RateLimitBanner />
      {(() => {
        switch (state.kind) {
          case 'loading':
            return <Splash />;
          case 'failed':
            return (
              <AuthLayout title="Cannot reach the server">
                <div className="form-error" role="alert">
                  {describeError(state.error)}
                </div>
                <button className="btn" type="button" onClick={() => location.reload()}>
                  Try again
                </button>
              </AuthLayout>
            );
          case 'platform':
            return <PlatformRoutes platform={state.platform} />;
          case 'unavailable':
            return <WorkspaceUnavailable error={state.error} session={state.session ?? null} />;
          case 'workspace':
            return <WorkspaceRoutes signedIn={state.session !== null} notice={state.notice} />;
        }
      })()}
      <Toasts />
    </>
  );
}

function PlatformRoutes({ platform }: { platform: PlatformInfo }) {
  return (
    <Suspense fallback={<Splash />}>
      <Switch>
        <Route path="/">
          <Landing platform={platform} />
        </Route>
        <Route path="/signup">
          <SignUp platform={platform} />
        </Route>
        <Route path="/operator" nest>
          <OperatorApp platform={platform} />
        </Route>
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </Suspense>
  );
}

/**
 * The chat chunk, rendered as soon as it is here. Not React.lazy: React 19 holds a suspended tree
 * back for up to 300 ms even when its code has arrived, and the chunk is usually loaded already
 * (fetched ahead from the sign-in page).
 */
function Chat() {
  const [chat, setChat] = useState(loadedChat);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!chat) loadChat().then(setChat, () => setFailed(true));
  }, [chat]);
  if (failed)
    return (
      <AuthLayout title="The chat could not be loaded">
        <p>Check your connection; a new version of the app may also have been published.</p>
        <button className="btn btn-primary" type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </AuthLayout>
    );
  if (!chat) return <Splash label="Opening the chat" />;
  return <chat.default />;
}

/** The admin chunk (members, billing, usage, …), which routes `/admin/*` and `/billing` itself. */
function Admin() {
  return (
    <Suspense fallback={<Splash />}>
      <AdminApp />
    </Suspense>
  );
}

function WorkspaceRoutes({ signedIn, notice }: { signedIn: boolean; notice: string | null }) {
  return (
    <Switch>
      <Route path="/invite/:token">{(p) => <Invite token={p.token} />}</Route>
      <Route path="/login">{signedIn ? <Redirect to="/" replace /> : <SignIn notice={notice} />}</Route>
      <Route path="/billing">{signedIn ? <Admin /> : <SignIn notice="Sign in to see this workspace's billing." />}</Route>
      <Route path="/admin/*?">{signedIn ? <Admin /> : <SignIn notice="Sign in to manage this workspace." />}</Route>
      <Route>{signedIn ? <Chat /> : <SignIn notice={notice} />}</Route>
    </Switch>
  );
}
