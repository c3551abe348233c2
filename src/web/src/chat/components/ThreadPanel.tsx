import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useStore } from '../../lib/store';
import { useChat } from '../context';
import type { Timeline } from '../timeline';
import { isTouchScreen } from './ChannelPane';
import { Composer } from './Composer';
import { CloseIcon } from './icons';
import { MessageItem, PendingItem } from './MessageItem';
import { pageSizeFor, rovingIndex } from './rovingFocus';

/**
 * A thread beside the channel (over it on a phone): the parent, its replies live, and a reply
 * box. Keyboard as in the channel's list: one message in the tab order (the newest, until
 * another is focused), arrows, Page Up/Down, Home and End move between them.
 */
export function ThreadPanel({ timeline, parentId, channelLabel, canPost, onClose }: { timeline: Timeline; parentId: number; channelLabel: string; canPost: boolean; onClose: () => void }) {
  const chat = useChat();
  const state = useStore(timeline);
  const thread = state.threads.get(parentId);
  const endRef = useRef<HTMLDivElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    void chat.openThread(timeline.channelId, parentId);
  }, [chat, timeline.channelId, parentId]);

  const replyCount = thread?.replies.length ?? 0;
  const pending = state.pending.filter((p) => p.parentId === parentId);
  useEffect(() => {
    endRef.current?.scrollIntoView({ block: 'end' });
  }, [replyCount, pending.length]);

  const parent = thread?.parent ?? timeline.find(parentId);

  // ---- roving focus ----
  const bodyRef = useRef<HTMLDivElement>(null);
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const keys = [...(parent ? [`m${parent.id}`] : []), ...(thread?.replies ?? []).map((r) => `m${r.id}`), ...pending.map((p) => `p${p.clientId}`)];
  const tabbableKey = activeKey && keys.includes(activeKey) ? activeKey : (keys[keys.length - 1] ?? null);

  function keyOf(target: EventTarget): string | null {
    const el = target as HTMLElement;
    return el.tagName === 'ARTICLE' ? (el.closest<HTMLElement>('[data-thread-key]')?.dataset.threadKey ?? null) : null;
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const key = keyOf(e.target);
    if (!key) return;
    const to = rovingIndex(e.key, keys.indexOf(key), 0, keys.length - 1, pageSizeFor(bodyRef.current?.clientHeight));
    if (to === null) return;
    e.preventDefault();
    const next = keys[to]!;
    setActiveKey(next);
    bodyRef.current?.querySelector<HTMLElement>(`[data-thread-key="${next}"] article`)?.focus();
  }

  return (
    <aside className="side-panel" aria-labelledby="thread-title" onKeyDown={(e) => e.key === 'Escape' && !e.defaultPrevented && onClose()}>
      <header className="side-panel-head">
        <div>
          <h2 id="thread-title" ref={headingRef} tabIndex={-1}>
            Thread
          </h2>
          <span className="muted">{channelLabel}</span>
        </div>
        <button type="button" className="icon-btn" aria-label="Close thread" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div
        ref={bodyRef}
        className="side-panel-body"
        onKeyDown={onKeyDown}
        onFocus={(e) => {
          const key = keyOf(e.target);
          if (key && key !== activeKey) setActiveKey(key);
        }}
      >
        {parent ? (
          <div data-thread-key={`m${parent.id}`}>
            <MessageItem message={parent} channelId={timeline.channelId} compact={false} dayLabel={null} unreadDivider={false} inThread tabbable={tabbableKey === `m${parent.id}`} />
          </div>
        ) : null}
        <div className="thread-divider">
          <span>{parent ? (parent.replyCount === 1 ? '1 reply' : `${parent.replyCount} replies`) : ''}</span>
        </div>
        {thread?.status === 'error' ? (
          <div className="form-error" role="alert">
            Could not load the thread: {thread.error}{' '}
            <button type="button" className="link-btn" onClick={() => void chat.openThread(timeline.channelId, parentId)}>
              Try again
            </button>
          </div>
        ) : null}
        {thread?.status === 'loading' && !thread.replies.length ? <div className="spinner small" role="status" aria-label="Loading replies" /> : null}
        {thread?.replies.map((r, i) => (
          <div key={r.id} data-thread-key={`m${r.id}`}>
            <MessageItem
              message={r}
              channelId={timeline.channelId}
              compact={i > 0 && thread.replies[i - 1]!.userId === r.userId}
              dayLabel={null}
              unreadDivider={false}
              inThread
              tabbable={tabbableKey === `m${r.id}`}
            />
          </div>
        ))}
        {pending.map((p) => (
          <div key={p.clientId} data-thread-key={`p${p.clientId}`}>
            <PendingItem
              pending={p}
              tabbable={tabbableKey === `p${p.clientId}`}
              onRetry={() => chat.retry(timeline.channelId, p.clientId)}
              onDiscard={() => chat.discard(timeline.channelId, p.clientId)}
            />
          </div>
        ))}
        <div ref={endRef} />
      </div>
      {canPost && parent && !parent.deleted ? <Composer channelId={timeline.channelId} parentId={parentId} label="Reply in thread" autoFocus={!isTouchScreen()} /> : null}
    </aside>
  );
}
