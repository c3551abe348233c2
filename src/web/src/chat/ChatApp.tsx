import { useCallback, useEffect, useState } from 'react';
import { Redirect, useLocation, useRoute } from 'wouter';
import { api } from '../api/endpoints';
import { describeError } from '../api/errors';
import type { SearchResult } from '../api/types';
import { Splash } from '../components/AuthLayout';
import { notices } from '../lib/notices';
import { useStore } from '../lib/store';
import { useAppName, useBoot, useSession } from '../tenant/TenantProvider';
import { ChatController } from './ChatController';
import { ChatContext } from './context';
import { ChannelPane, channelLabel } from './components/ChannelPane';
import { SearchPanel } from './components/SearchPanel';
import { Sidebar } from './components/Sidebar';
import { ThreadPanel } from './components/ThreadPanel';
import '../styles/chat.css';

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
      onSessionEnded: () => {
        notices.toast('Your session has ended. Please sign in again.', 'info');
        setSession(null);
      },
      onWorkspaceUnusable: () => void reload(),
      onChannelGone: () => navigate('/', { replace: true }),
    });
    setController(c);
    return () => c.dispose();
    // One controller per signed-in person: a new sign-in (another user id) is a new one; the
    // callbacks' dependencies are stable.
  }, [session?.user.id]);

  if (!controller) return <Splash label="Opening the chat" />;
  return (
    <ChatContext.Provider value={controller}>
      <ChatLayout controller={controller} onSignedOut={() => setSession(null)} />
    </ChatContext.Provider>
  );
}

function ChatLayout({ controller, onSignedOut }: { controller: ChatController; onSignedOut: () => void }) {
  const [, navigate] = useLocation();
  const [threadMatch, threadParams] = useRoute('/c/:channelId/t/:messageId');
  const [channelMatch, channelParams] = useRoute('/c/:channelId');
  const channels = useStore(controller.channels);
  const [sidebarOpen, setSidebarOpen] = useState(false);
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

  async function signOut() {
    try {
      await api.logout();
      onSignedOut();
      navigate('/login', { replace: true });
    } catch (err) {
      notices.toast(`Could not sign out: ${describeError(err)}`);
    }
  }

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
    <div className={`chat-layout${panel ? ' with-panel' : ''}${sidebarOpen ? ' sidebar-open' : ''}`}>
      <a href="#composer" className="skip-link" onClick={(e) => {
        e.preventDefault();
        document.querySelector<HTMLTextAreaElement>('.channel-pane .composer-input')?.focus();
      }}>
        Skip to message box
      </a>
      <Sidebar openId={channel?.id ?? null} onNavigate={() => setSidebarOpen(false)} onSignOut={() => void signOut()} />
      {sidebarOpen ? <div className="scrim only-mobile" aria-hidden="true" onClick={() => setSidebarOpen(false)} /> : null}
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
          onOpenSidebar={() => setSidebarOpen(true)}
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
                <button type="button" className="btn only-mobile" onClick={() => setSidebarOpen(true)}>
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
  );
}
