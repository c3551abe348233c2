import { lazy, Suspense, type ReactNode } from 'react';
import { Redirect, Route, Switch } from 'wouter';
import { describeError } from './api/errors';
import { AuthLayout, Splash } from './components/AuthLayout';
import { RateLimitBanner, Toasts } from './components/Toasts';
import Invite from './pages/Invite';
import Landing from './pages/Landing';
import NotFound from './pages/NotFound';
import SignIn from './pages/SignIn';
import WorkspaceUnavailable from './pages/WorkspaceUnavailable';
import { adminChunk, chatChunk, operatorChunk } from './pages/chunks';
import { useChunk, type Chunk } from './lib/chunk';
import type { PlatformInfo } from './api/types';
import { useBoot } from './tenant/TenantProvider';

/** Not needed at first paint: sign-up on the platform host; the chat, the admin pages and the operator console are chunks too (./pages/chunks). */
const SignUp = lazy(() => import('./pages/SignUp'));

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
          <ChunkPage chunk={operatorChunk} what="operator console" render={(m) => <m.default platform={platform} />} />
        </Route>
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </Suspense>
  );
}

/**
 * A page whose code is a chunk of its own (./lib/chunk: rendered as soon as it is here, which is
 * usually at once: the chat's is fetched ahead from the sign-in page).
 */
function ChunkPage<M>({ chunk, what, render }: { chunk: Chunk<M>; what: string; render: (m: M) => ReactNode }) {
  const { module, failed } = useChunk(chunk);
  if (failed)
    return (
      <AuthLayout title={`The ${what} could not be loaded`}>
        <p>Check your connection; a new version of the app may also have been published.</p>
        <button className="btn btn-primary" type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </AuthLayout>
    );
  if (!module) return <Splash label={`Opening the ${what}`} />;
  return <>{render(module)}</>;
}

function Chat() {
  return <ChunkPage chunk={chatChunk} what="chat" render={(m) => <m.default />} />;
}

/** The admin chunk (members, billing, usage, …), which routes `/admin/*` and `/billing` itself. */
function Admin() {
  return <ChunkPage chunk={adminChunk} what="admin pages" render={(m) => <m.default />} />;
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
