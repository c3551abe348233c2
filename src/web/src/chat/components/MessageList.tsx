import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatMessage } from '../../api/types';
import { useStore } from '../../lib/store';
import { useChat } from '../context';
import type { PendingMessage, Timeline } from '../timeline';
import { ArrowDownIcon } from './icons';
import { MessageItem, PendingItem } from './MessageItem';
import { pageSizeFor, rovingIndex } from './rovingFocus';

/**
 * The channel's messages, windowed (@tanstack/react-virtual): only what is on screen is in the
 * DOM, so ten thousand messages scroll like fifty. It sticks to the bottom while the newest
 * message is in view, keeps what is on screen in place when older history is added above it,
 * and asks for that history when the top comes near. Keyboard: the list has one tabbable
 * message (roving focus); arrows, Page Up/Down, Home and End move between messages.
 */

type Row = { kind: 'top'; key: string } | { kind: 'message'; key: string; message: ChatMessage; index: number } | { kind: 'pending'; key: string; pending: PendingMessage };

const GROUP_WINDOW_MS = 5 * 60 * 1000;

function dayLabel(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (d.toDateString() === today.toDateString()) return 'Today';
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', month: 'long', day: 'numeric', year: d.getFullYear() === today.getFullYear() ? undefined : 'numeric' });
}

export function MessageList({
  timeline,
  channelLabel,
  readUpToAtOpen,
  focusMessageId,
  onOpenThread,
}: {
  timeline: Timeline;
  channelLabel: string;
  /** The read position when the channel was opened: the "New" divider goes after it. */
  readUpToAtOpen: number | null;
  focusMessageId: number | null;
  onOpenThread: (messageId: number) => void;
}) {
  const chat = useChat();
  const me = useStore(chat.me);
  const state = useStore(timeline);
  const scrollRef = useRef<HTMLDivElement>(null);
  const stickRef = useRef(true);
  const [atBottom, setAtBottom] = useState(true);
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const unseenRef = useRef(0);
  const [unseen, setUnseen] = useState(0);

  const rows: Row[] = useMemo(() => {
    const out: Row[] = [{ kind: 'top', key: 'top' }];
    state.messages.forEach((message, index) => out.push({ kind: 'message', key: `m${message.id}`, message, index }));
    for (const p of state.pending) if (p.parentId === null) out.push({ kind: 'pending', key: `p${p.clientId}`, pending: p });
    return out;
  }, [state.messages, state.pending]);

  const firstUnreadId = useMemo(() => {
    if (readUpToAtOpen === null) return null;
    return state.messages.find((m) => m.seq > readUpToAtOpen && m.userId !== me.id)?.id ?? null;
  }, [state.messages, readUpToAtOpen, me.id]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.kind === 'top' ? 72 : 56),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();

  // ---- staying at the bottom ----
  const scrollToBottom = useCallback(() => {
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  // Whether a scroll is the person's doing (wheel, touch, keys, the scrollbar) or the list's own
  // (measuring rows, following new messages): only the person's may leave the bottom.
  const userScrollUntil = useRef(0);
  const markUserScroll = useCallback(() => {
    userScrollUntil.current = Date.now() + 600;
  }, []);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    if (!bottom && stickRef.current && Date.now() > userScrollUntil.current) {
      // Rows above were measured and the view moved: still following the newest message.
      scrollToBottom();
      return;
    }
    stickRef.current = bottom;
    setAtBottom(bottom);
    if (bottom && unseenRef.current) {
      unseenRef.current = 0;
      setUnseen(0);
    }
    chat.setViewingLatest(bottom);
  }, [chat, scrollToBottom]);

  // The content's height changes when rows are measured, images load or messages arrive: follow it
  // down if we were at the bottom.
  const sizerRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const sizer = sizerRef.current;
    if (!sizer) return;
    const ro = new ResizeObserver(() => {
      if (stickRef.current) scrollToBottom();
    });
    ro.observe(sizer);
    return () => ro.disconnect();
  }, [scrollToBottom]);

  // ---- keeping the view in place when history is added above ----
  const anchorRef = useRef<{ key: string; offset: number } | null>(null);
  const prevFirstKey = useRef<string | null>(null);
  const prevCount = useRef(0);
  useLayoutEffect(() => {
    const firstMessageKey = rows[1]?.key ?? null;
    const grewAtTop = prevFirstKey.current !== null && firstMessageKey !== prevFirstKey.current && rows.length > prevCount.current;
    const el = scrollRef.current;
    if (grewAtTop && el && anchorRef.current && !stickRef.current) {
      const idx = rows.findIndex((r) => r.key === anchorRef.current!.key);
      const m = idx >= 0 ? virtualizer.measurementsCache[idx] : undefined;
      if (m) el.scrollTop = m.start - anchorRef.current.offset;
    } else if (rows.length > prevCount.current && prevCount.current > 0 && !stickRef.current) {
      // New messages below while reading older ones: count them for the jump button.
      const added = rows.slice(prevCount.current).filter((r) => r.kind === 'message' && r.message.userId !== me.id).length;
      if (added) {
        unseenRef.current += added;
        setUnseen(unseenRef.current);
      }
    }
    if (stickRef.current) scrollToBottom();
    prevFirstKey.current = firstMessageKey;
    prevCount.current = rows.length;
  }, [rows, virtualizer, scrollToBottom, me.id]);

  // Remember which row is at the top of the view (the anchor for the adjustment above).
  const first = items.find((i) => i.end > (scrollRef.current?.scrollTop ?? 0));
  if (first) anchorRef.current = { key: String(first.key), offset: (scrollRef.current?.scrollTop ?? 0) - first.start };

  // ---- older history as the top comes into view ----
  const topVisible = items[0]?.index === 0;
  useEffect(() => {
    if (topVisible && state.history === 'ready' && state.hasMoreOlder && !state.loadingOlder) void chat.loadOlder(timeline.channelId);
  }, [topVisible, state.history, state.hasMoreOlder, state.loadingOlder, chat, timeline.channelId]);

  // ---- jumping to a message (from search) ----
  const [highlightId, setHighlightId] = useState<number | null>(null);
  useEffect(() => {
    if (focusMessageId === null) return;
    const idx = rows.findIndex((r) => r.kind === 'message' && r.message.id === focusMessageId);
    if (idx >= 0) {
      stickRef.current = false;
      markUserScroll();
      virtualizer.scrollToIndex(idx, { align: 'center' });
      setHighlightId(focusMessageId);
      const t = setTimeout(() => setHighlightId(null), 2500);
      return () => clearTimeout(t);
    }
    const oldest = state.messages[0];
    // Not loaded yet: older pages until it is (it is older than everything shown).
    if (state.hasMoreOlder && !state.loadingOlder && oldest && oldest.id > focusMessageId) void chat.loadOlder(timeline.channelId);
  }, [focusMessageId, rows, state.hasMoreOlder, state.loadingOlder, state.messages, virtualizer, chat, timeline.channelId, markUserScroll]);

  // ---- keyboard ----
  const messageRows = rows.filter((r) => r.kind !== 'top');
  const tabbableKey = activeKey && rows.some((r) => r.key === activeKey) ? activeKey : (messageRows[messageRows.length - 1]?.key ?? null);

  function focusRow(index: number) {
    const row = rows[index];
    if (!row || row.kind === 'top') return;
    setActiveKey(row.key);
    virtualizer.scrollToIndex(index, { align: 'auto' });
    requestAnimationFrame(() => requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`[data-row-key="${row.key}"] article`)?.focus()));
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const target = e.target as HTMLElement;
    if (target.tagName !== 'ARTICLE') return;
    const key = target.closest<HTMLElement>('[data-row-key]')?.dataset.rowKey;
    const index = rows.findIndex((r) => r.key === key);
    const to = rovingIndex(e.key, index, 1, rows.length - 1, pageSizeFor(scrollRef.current?.clientHeight));
    if (to === null) return;
    e.preventDefault();
    focusRow(to);
  }

  /** A message focused any way (a click, a dialog giving focus back) becomes the one Tab comes back to. */
  function onFocus(e: { target: EventTarget }) {
    const target = e.target as HTMLElement;
    if (target.tagName !== 'ARTICLE') return;
    const key = target.closest<HTMLElement>('[data-row-key]')?.dataset.rowKey;
    if (key && key !== activeKey) setActiveKey(key);
  }

  const total = state.messages.length;

  return (
    <div className="message-list-wrap">
      <div
        ref={scrollRef}
        className="message-scroll"
        onScroll={onScroll}
        onWheel={markUserScroll}
        onTouchMove={markUserScroll}
        onPointerDown={markUserScroll}
        onKeyDown={(e) => {
          markUserScroll();
          onKeyDown(e);
        }}
        onFocus={onFocus}
        role="region"
        aria-label={`Messages in ${channelLabel}`}
        aria-busy={state.history === 'loading' || state.loadingOlder}
        // An empty list has nothing focusable in it: the region itself is in the tab order then
        // (keyboard scrolling). Once messages are there it stays focusable (-1), so focus on it is
        // not thrown to the page when they arrive.
        tabIndex={tabbableKey ? -1 : 0}
      >
        <div ref={sizerRef} style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {items.map((vi) => {
            const row = rows[vi.index]!;
            return (
              <div key={vi.key} data-index={vi.index} data-row-key={row.key} ref={virtualizer.measureElement} className="virtual-row" style={{ transform: `translateY(${vi.start}px)` }}>
                {row.kind === 'top' ? (
                  <div className="list-top">
                    {state.history === 'loading' || state.loadingOlder ? (
                      <div className="spinner small" role="status" aria-label="Loading messages" />
                    ) : state.history === 'error' ? (
                      <div className="form-error" role="alert">
                        Could not load messages: {state.historyError}{' '}
                        <button type="button" className="link-btn" onClick={() => void chat.loadHistory(timeline.channelId)}>
                          Try again
                        </button>
                      </div>
                    ) : state.hasMoreOlder ? null : (
                      <p className="channel-start">This is the beginning of {channelLabel}.</p>
                    )}
                  </div>
                ) : row.kind === 'message' ? (
                  <MessageItem
                    message={row.message}
                    channelId={timeline.channelId}
                    compact={isCompact(state.messages[row.index - 1], row.message)}
                    dayLabel={startsDay(state.messages[row.index - 1], row.message) ? dayLabel(row.message.createdAt) : null}
                    unreadDivider={row.message.id === firstUnreadId}
                    tabbable={row.key === tabbableKey}
                    highlighted={row.message.id === highlightId}
                    onOpenThread={onOpenThread}
                  />
                ) : (
                  <PendingItem
                    pending={row.pending}
                    tabbable={row.key === tabbableKey}
                    onRetry={() => chat.retry(timeline.channelId, row.pending.clientId)}
                    onDiscard={() => chat.discard(timeline.channelId, row.pending.clientId)}
                  />
                )}
              </div>
            );
          })}
        </div>
      </div>
      {!atBottom && total > 0 ? (
        <button
          type="button"
          className="jump-latest"
          onClick={() => {
            stickRef.current = true;
            unseenRef.current = 0;
            setUnseen(0);
            scrollToBottom();
          }}
        >
          <ArrowDownIcon /> {unseen ? `${unseen} new message${unseen === 1 ? '' : 's'}` : 'Jump to latest'}
        </button>
      ) : null}
    </div>
  );
}

function startsDay(prev: ChatMessage | undefined, m: ChatMessage): boolean {
  return !prev || new Date(prev.createdAt).toDateString() !== new Date(m.createdAt).toDateString();
}

function isCompact(prev: ChatMessage | undefined, m: ChatMessage): boolean {
  return !!prev && !prev.deleted && prev.userId === m.userId && Date.parse(m.createdAt) - Date.parse(prev.createdAt) < GROUP_WINDOW_MS && !startsDay(prev, m);
}
