import { useEffect, useRef } from 'react';
import { useStore } from '../../lib/store';
import { useChat } from '../context';
import type { Timeline } from '../timeline';
import { isTouchScreen } from './ChannelPane';
import { Composer } from './Composer';
import { CloseIcon } from './icons';
import { MessageItem, PendingItem } from './MessageItem';

/** A thread beside the channel (over it on a phone): the parent, its replies live, and a reply box. */
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
      <div className="side-panel-body">
        {parent ? <MessageItem message={parent} channelId={timeline.channelId} compact={false} dayLabel={null} unreadDivider={false} inThread tabbable /> : null}
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
          <MessageItem
            key={r.id}
            message={r}
            channelId={timeline.channelId}
            compact={i > 0 && thread.replies[i - 1]!.userId === r.userId}
            dayLabel={null}
            unreadDivider={false}
            inThread
            tabbable={false}
          />
        ))}
        {pending.map((p) => (
          <PendingItem key={p.clientId} pending={p} onRetry={() => chat.retry(timeline.channelId, p.clientId)} onDiscard={() => chat.discard(timeline.channelId, p.clientId)} />
        ))}
        <div ref={endRef} />
      </div>
      {canPost && parent && !parent.deleted ? <Composer channelId={timeline.channelId} parentId={parentId} label="Reply in thread" autoFocus={!isTouchScreen()} /> : null}
    </aside>
  );
}
