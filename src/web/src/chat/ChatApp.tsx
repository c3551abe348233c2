import { useCallback, useEffect, useRef, useState } from 'react';
import { Redirect, useLocation, useRoute } from 'wouter';
import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import type { SearchResult } from '../api/types';
import { Splash } from '../components/AuthLayout';
import { notices } from '../lib/notices';
import { useStore } from '../lib/store';
import { useAppName, useBoot, useSession } from '../tenant/TenantProvider';
import { ChatController } from './ChatController';
import { ChatContext } from './context';
import { draftStore } from './drafts';
import { channelLabel } from './labels';
import { ChannelPane } from './components/ChannelPane';
import { SearchPanel } from './components/SearchPanel';
import { Sidebar } from './components/Sidebar';
import { ThreadPanel } from './components/ThreadPanel';
import { useSidebarDrawer } from './useSidebarDrawer';
import '../styles/chat.css';

/** What the sign-in page says when the session ended by itself (expired, signed out elsewhere). */
const SESSION_ENDED_NOTICE = 'Your session has ended. Sign in again to go on.';

/**
 * The signed-in chat: one ChatController for the session (its sockets live as long as this
 * does), the sidebar, the open channel (`/c/<id>`) and its thread (`/c/<id>/t/<message id>`)
 * or search results beside it.
 */
export default function ChatApp() {
  const session = useSession();
  const { reload, setSession } = useBoot();
  const [, navigate] = useLocation();
  const [controller, setController] = useState<ChatController | null>(null);

  useEffect(() => {
    if (!session) return;
    const c = new ChatController(session, {
      onSessionEnded: () => setSession(null, SESSION_ENDED_NOTICE),
      onWorkspaceUnusable: () => void reload(),
      onChannelGone: () => navigate('/', { replace: true }),
    });
    setController(c);
    return () => c.dispose();
    // One controller per signed-in person: a new sign-in (another user id) is a new one; the
    // callbacks' dependencies are stable.
  }, [session?.user.id]);

  /**
   * Signs out on purpose: straight to the sign-in page, drafts gone, no "session ended" (the
   * sockets' closes for it come before the logout's answer: the controller takes them as this).
   */
  async function signOut(c: ChatController) {
    c.beginSignOut();
    try {
      await api.logout();
    } catch (err) {
      // Signed out all the same: the server closed the sockets, or the session was already over (401).
      if (!c.signOutTookEffect() && !(err instanceof ApiError && err.status === 401)) {
        c.cancelSignOut();
        notices.toast(`Could not sign out: ${describeError(err)}`);
        return;
      }
    }
    draftStore.clear();
    setSession(null);
    navigate('/login', { replace: true });
  }

  if (!controller) return <Splash label="Opening the chat" />;
  return (
    <ChatContext.Provider value={controller}>
      <ChatLayout controller={controller} onSignOut={() => void signOut(controller)} />
    </ChatContext.Provider>
  );
}

function ChatLayout({ controller, onSignOut }: { controller: ChatController; onSignOut: () => void }) {
  const [, navigate] = useLocation();
  const [threadMatch, threadParams] = useRoute('/c/:channelId/t/:messageId');
  const [channelMatch, channelParams] = useRoute('/c/:channelId');
  const channels = useStore(controller.channels);
  const sidebarRef = useRef<HTMLElement>(null);
  const drawer = useSidebarDrawer(sidebarRef);
  const [search, setSearch] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ channelId: string; messageId: number } | null>(null);

  const channelId = threadMatch ? threadParams.channelId : channelMatch ? channelParams.channelId : null;
  const threadId = threadMatch ? Number(threadParams.messageId) : null;
  const channel = channelId ? channels.find((c) => c.id === channelId) : undefined;

  // A channel not in the list (a link to a public channel one is not in yet): ask for it.
  const [lookup, setLookup] = useState<'idle' | 'loading' | 'missing'>('idle');
  useEffect(() => {
    if (!channelId || channel) return setLookup('idle');
    setLookup('loading');
    api
      .channel(channelId)
      .then(({ channel: c }) => {
        controller.channels.update((list) => (list.some((x) => x.id === c.id) ? list : [...list, c]));
        setLookup('idle');
      })
      .catch((err: unknown) => {
        setLookup('missing');
        notices.toast(`Could not open that channel: ${describeError(err)}`);
      });
  }, [channelId, channel, controller]);

  useEffect(() => {
    if (!channel) return;
    controller.open(channel.id);
    return () => controller.close(channel.id);
  }, [channel?.id, controller]);

  // The tab's title counts what is unread elsewhere, as chat apps do.
  const appName = useAppName();
  const mentions = useStore(controller.mentions);
  useEffect(() => {
    const unread = channels.reduce((n, c) => n + (c.id !== channelId && c.isMember ? (c.unreadCount ?? 0) : 0), 0);
    const mentioned = Object.entries(mentions).reduce((n, [id, m]) => n + (id !== channelId ? m : 0), 0);
    const where = channel ? `${channelLabel(channel)} · ` : '';
    document.title = `${mentioned ? `(@${mentioned}) ` : unread ? `(${unread}) ` : ''}${where}${appName}`;
  }, [channels, mentions, channel, channelId, appName]);

  // Alt+↑ / Alt+↓ switch channels from anywhere.
  const switchBy = useCallback(
    (delta: number) => {
      const list = channels.filter((c) => c.isMember && (!c.archivedAt || c.id === channelId));
      const ordered = [...list.filter((c) => c.kind !== 'direct'), ...list.filter((c) => c.kind === 'direct')];
      const i = ordered.findIndex((c) => c.id === channelId);
      const next = ordered[(i + delta + ordered.length) % ordered.length];
      if (next) navigate(`/c/${next.id}`);
    },
    [channels, channelId, navigate],
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        switchBy(e.key === 'ArrowUp' ? -1 : 1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [switchBy]);

  if (!channelId) {
    const id = controller.defaultChannelId();
    if (id) return <Redirect to={`/c/${id}`} replace />;
  }

  const timeline = channel ? controller.timeline(channel.id) : null;
  const panel = channel && threadId ? 'thread' : search ? 'search' : null;

  function openSearchResult(r: SearchResult) {
    const target = r.message.parentId ?? r.message.id;
    setFocus({ channelId: r.message.channelId, messageId: target });
    navigate(r.message.parentId ? `/c/${r.message.channelId}/t/${r.message.parentId}` : `/c/${r.message.channelId}`);
    if (r.message.parentId) setSearch(null);
  }

  return (
    <div className={`chat-layout${panel ? ' with-panel' : ''}${drawer.open ? ' sidebar-open' : ''}`}>
      <a
        href="#composer"
        className="skip-link"
        inert={drawer.modal}
        onClick={(e) => {
          e.preventDefault();
          document.querySelector<HTMLTextAreaElement>('.channel-pane .composer-input')?.focus();
        }}
      >
        Skip to message box
      </a>
      <Sidebar navRef={sidebarRef} openId={channel?.id ?? null} onNavigate={drawer.hide} onSignOut={onSignOut} />
      {drawer.open ? <div className="scrim only-mobile" aria-hidden="true" onClick={drawer.hide} /> : null}
      {/* What is behind the drawer on a phone: inert while it is open (not tabbable, not read out). */}
      <div className="chat-main" inert={drawer.modal}>
      {channel && timeline ? (
        <ChannelPane
          key={channel.id}
          channel={channel}
          timeline={timeline}
          focusMessageId={focus?.channelId === channel.id ? focus.messageId : null}
          onOpenThread={(id) => navigate(`/c/${channel.id}/t/${id}`)}
          onSearch={(q) => {
            setSearch(q);
            if (threadId) navigate(`/c/${channel.id}`);
          }}
          onOpenSidebar={drawer.show}
        />
      ) : (
        <main className="channel-pane empty">
          {lookup === 'loading' ? (
            <Splash label="Opening the channel" />
          ) : (
            <div className="center-page">
              <div>
                <h1>{lookup === 'missing' ? 'Channel not found' : 'No channel open'}</h1>
                <p>{lookup === 'missing' ? 'It may have been deleted, or you may not have access to it.' : 'Join or create a channel from the sidebar to start talking.'}</p>
                <button type="button" className="btn only-mobile" data-sidebar-toggle onClick={drawer.show}>
                  Show channels
                </button>
              </div>
            </div>
          )}
        </main>
      )}
      {panel === 'thread' && channel && timeline && threadId ? (
        <ThreadPanel
          timeline={timeline}
          parentId={threadId}
          channelLabel={channelLabel(channel)}
          canPost={channel.isMember && !channel.archivedAt}
          onClose={() => {
            navigate(`/c/${channel.id}`);
            // Back where one writes in the channel, not lost on the page.
            requestAnimationFrame(() => document.querySelector<HTMLTextAreaElement>('.channel-pane .composer-input')?.focus());
          }}
        />
      ) : panel === 'search' && search ? (
        <SearchPanel
          query={search}
          onClose={() => {
            setSearch(null);
            requestAnimationFrame(() => document.querySelector<HTMLInputElement>('#search-input')?.focus());
          }}
          onOpen={openSearchResult}
        />
      ) : null}
      </div>
    </div>
  );
}
