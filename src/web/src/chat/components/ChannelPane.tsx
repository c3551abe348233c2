import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../../api/errors';
import type { ChannelView, Role } from '../../api/types';
import { mayBuy, PlanLimitNotice, PlanStatusBanner, UpgradePrompt } from '../../components/PlanNotice';
import { notices } from '../../lib/notices';
import { useStore } from '../../lib/store';
import { useTenant, useTenantFeature } from '../../tenant/TenantProvider';
import { useChat } from '../context';
import { channelLabel } from '../labels';
import type { Timeline } from '../timeline';
import { Composer } from './Composer';
import { HashIcon, LockIcon, MenuIcon, MoreIcon, SearchIcon } from './icons';
import { Menu, type MenuItem } from './Menu';
import { MessageList } from './MessageList';

/** On a phone, focusing the composer on every channel switch would pop the keyboard up each time. */
export function isTouchScreen(): boolean {
  return window.matchMedia('(pointer: coarse)').matches;
}

/** The open channel: its header, connection state, messages, who is typing, and the composer. */
export function ChannelPane({
  channel,
  timeline,
  focusMessageId,
  onOpenThread,
  onSearch,
  onOpenSidebar,
}: {
  channel: ChannelView;
  timeline: Timeline;
  focusMessageId: number | null;
  onOpenThread: (messageId: number) => void;
  onSearch: (q: string) => void;
  onOpenSidebar: () => void;
}) {
  const chat = useChat();
  const me = useStore(chat.me);
  const { tenant } = useTenant();
  const label = channelLabel(channel);
  // The read position as it was on opening: where the "New" divider goes.
  const [readAtOpen] = useState(() => (channel.isMember ? (channel.lastReadSeq ?? 0) : null));
  const canPost = channel.isMember && !channel.archivedAt;

  return (
    <main className="channel-pane" aria-labelledby="channel-title">
      <ChannelHeader channel={channel} label={label} onSearch={onSearch} onOpenSidebar={onOpenSidebar} />
      {tenant ? <PlanStatusBanner tenant={tenant} role={me.role} /> : null}
      <ConnectionBanner />
      <MessageList timeline={timeline} channelLabel={label} readUpToAtOpen={readAtOpen} focusMessageId={focusMessageId} onOpenThread={onOpenThread} />
      <TypingLine />
      <NewMessageAnnouncer timeline={timeline} me={me.id} />
      {canPost ? (
        <Composer channelId={channel.id} label={`Message ${label}`} autoFocus={!isTouchScreen()} />
      ) : channel.archivedAt ? (
        <ArchivedBar channel={channel} />
      ) : (
        <JoinBar channel={channel} />
      )}
    </main>
  );
}

function ChannelHeader({ channel, label, onSearch, onOpenSidebar }: { channel: ChannelView; label: string; onSearch: (q: string) => void; onOpenSidebar: () => void }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const live = useStore(chat.live);
  const people = useStore(chat.people);
  const searchAllowed = useTenantFeature('search');
  const [q, setQ] = useState('');
  const manager = mayBuy(me.role);
  const onlineOthers = live.online.filter((id) => id !== me.id);

  const actions: MenuItem[] = [];
  if (channel.isMember && channel.kind !== 'direct') actions.push({ label: 'Leave channel', onSelect: () => act(() => chat.leave(channel.id), 'leave the channel') });
  const mayArchive = manager || channel.memberRole === 'owner';
  if (mayArchive && channel.kind !== 'direct' && !channel.archivedAt && channel.name !== 'general')
    actions.push({ label: 'Archive channel', danger: true, onSelect: () => act(() => chat.archive(channel.id), 'archive the channel') });

  function submit(e: FormEvent) {
    e.preventDefault();
    if (q.trim()) onSearch(q.trim());
  }

  return (
    <header className="channel-head">
      <button type="button" className="icon-btn only-mobile" aria-label="Show channels" data-sidebar-toggle onClick={onOpenSidebar}>
        <MenuIcon />
      </button>
      <div className="channel-title">
        <h1 id="channel-title">
          {channel.kind === 'private' ? <LockIcon /> : channel.kind === 'public' ? <HashIcon /> : null}
          <span>{channel.kind === 'direct' ? label : channel.name}</span>
        </h1>
        <p className="channel-sub">
          {channel.kind === 'direct' && channel.dmWith ? (
            <DmPresence here={live.online.includes(channel.dmWith.id)} lastSeenAt={people.get(channel.dmWith.id)?.lastSeenAt ?? null} />
          ) : (
            <>
              {onlineOthers.length ? (
                <span title={onlineOthers.map((id) => people.get(id)?.displayName ?? '').join(', ')}>
                  <i className="presence-dot" aria-hidden="true" /> {onlineOthers.length} online
                </span>
              ) : null}
              {channel.topic ? <span className="topic">{channel.topic}</span> : null}
            </>
          )}
        </p>
      </div>
      {searchAllowed ? (
        <form role="search" className="channel-search" onSubmit={submit}>
          <label htmlFor="search-input" className="visually-hidden">
            Search messages
          </label>
          <SearchIcon />
          <input id="search-input" type="search" className="input" placeholder="Search" value={q} onChange={(e) => setQ(e.target.value)} />
        </form>
      ) : manager ? (
        <SearchUpsell role={me.role} />
      ) : null}
      <Menu label="Channel actions" icon={<MoreIcon />} items={actions} />
    </header>
  );
}

/**
 * Search, for those who may buy a plan that has it: a button that opens a small non-modal
 * dialog about the upgrade. Focus moves into it; Escape, a click outside or tabbing away closes
 * it, and Escape gives focus back to the button.
 */
function SearchUpsell({ role }: { role: Role }) {
  const [open, setOpen] = useState(false);
  const wrapRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popoverRef = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    popoverRef.current?.focus();
    const onDown = (e: MouseEvent) => {
      if (!wrapRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  return (
    <div
      ref={wrapRef}
      className="menu-wrap"
      onKeyDown={(e) => {
        if (e.key !== 'Escape' || !open) return;
        e.preventDefault();
        setOpen(false);
        buttonRef.current?.focus();
      }}
      onBlur={(e) => {
        if (open && !e.currentTarget.contains(e.relatedTarget as Node | null)) setOpen(false);
      }}
    >
      <button ref={buttonRef} type="button" className="icon-btn" aria-label="Search (not in your plan)" aria-expanded={open} aria-controls={open ? id : undefined} onClick={() => setOpen((o) => !o)}>
        <SearchIcon />
      </button>
      {open ? (
        <div ref={popoverRef} id={id} className="popover" role="dialog" aria-label="Search needs an upgrade" tabIndex={-1}>
          <UpgradePrompt feature="Message search" role={role} />
        </div>
      ) : null}
    </div>
  );
}

/** "Active now" while they are in this conversation; otherwise when they were last seen, if known. */
function DmPresence({ here, lastSeenAt }: { here: boolean; lastSeenAt: string | null }) {
  if (here)
    return (
      <span>
        <i className="presence-dot" aria-hidden="true" /> Active now
      </span>
    );
  if (!lastSeenAt) return null;
  return <span>Last seen {new Date(lastSeenAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}</span>;
}

function act(fn: () => Promise<void>, what: string) {
  fn().catch((err: unknown) => notices.toast(`Could not ${what}: ${describeError(err)}`));
}

/** Offline, or the room socket coming back: said once, calmly, above the messages. */
function ConnectionBanner() {
  const chat = useChat();
  const c = useStore(chat.connection);
  const [showReconnecting, setShowReconnecting] = useState(false);
  const reconnecting = c.room === 'reconnecting' || c.room === 'connecting';
  useEffect(() => {
    if (!reconnecting) return setShowReconnecting(false);
    // A quick reconnect is not news; one that takes a while is.
    const t = setTimeout(() => setShowReconnecting(true), 1500);
    return () => clearTimeout(t);
  }, [reconnecting]);
  if (!c.browserOnline || c.room === 'offline')
    return (
      <div className="banner warning" role="status">
        You are offline. Messages you write now will be sent when the connection is back.
      </div>
    );
  if (showReconnecting)
    return (
      <div className="banner info" role="status">
        Reconnecting… messages you write will be sent in order once connected.
      </div>
    );
  return null;
}

function TypingLine() {
  const chat = useChat();
  const live = useStore(chat.live);
  const people = useStore(chat.people);
  const names = [...live.typing.keys()].map((id) => people.get(id)?.displayName ?? 'Someone');
  const text = names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : 'Several people are typing…';
  return (
    <div className="typing-line" aria-live="polite">
      {text}
    </div>
  );
}

/** New messages from others, read out by screen readers (the list itself is not a live region: it changes as it scrolls). */
function NewMessageAnnouncer({ timeline, me }: { timeline: Timeline; me: string }) {
  const chat = useChat();
  const state = useStore(timeline);
  const [text, setText] = useState('');
  const lastId = useRef<number | null>(null);
  useEffect(() => {
    const last = state.messages[state.messages.length - 1];
    if (!last) return;
    if (lastId.current !== null && last.id > lastId.current && last.userId !== me && !last.deleted) setText(`${chat.people.name(last.userId)}: ${last.text.slice(0, 200)}`);
    lastId.current = last.id;
  }, [state.messages, me, chat]);
  return (
    <div className="visually-hidden" aria-live="polite">
      {text}
    </div>
  );
}

function JoinBar({ channel }: { channel: ChannelView }) {
  const chat = useChat();
  const [busy, setBusy] = useState(false);
  return (
    <div className="composer-bar">
      <p>
        You are viewing <strong>#{channel.name}</strong>.
      </p>
      <button
        type="button"
        className="btn btn-primary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          chat.join(channel.id).catch((err: unknown) => {
            setBusy(false);
            notices.toast(`Could not join: ${describeError(err)}`);
          });
        }}
      >
        {busy ? 'Joining…' : 'Join channel'}
      </button>
    </div>
  );
}

/** An archived channel: readable, no composer; unarchiving for those who may (a plan limit explained, with the upgrade). */
function ArchivedBar({ channel }: { channel: ChannelView }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const mayUnarchive = mayBuy(me.role) || channel.memberRole === 'owner';
  const [busy, setBusy] = useState(false);
  const [limit, setLimit] = useState<ApiError | null>(null);

  function unarchive() {
    setBusy(true);
    setLimit(null);
    chat.unarchive(channel.id).catch((err: unknown) => {
      setBusy(false);
      // Unarchiving counts against the plan's channels, as creating one does: said the same way.
      if (err instanceof ApiError && err.code === 'plan_limit') setLimit(err);
      else notices.toast(`Could not unarchive: ${describeError(err)}`);
    });
  }

  return (
    <div className="composer-bar">
      <p>This channel is archived: its history stays readable, nobody can post in it.</p>
      {limit ? <PlanLimitNotice error={limit} role={me.role} /> : null}
      {mayUnarchive ? (
        <button type="button" className="btn" disabled={busy} onClick={unarchive}>
          {busy ? 'Unarchiving…' : 'Unarchive'}
        </button>
      ) : null}
    </div>
  );
}
