import { memo, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { describeError } from '../../api/errors';
import type { AttachmentView, ChatMessage } from '../../api/types';
import { formatBytes } from '../../lib/format';
import { notices } from '../../lib/notices';
import { useStore } from '../../lib/store';
import { useTenantFeature } from '../../tenant/TenantProvider';
import { useChat } from '../context';
import { mentionHandle } from '../people';
import type { PendingMessage } from '../timeline';
import { Avatar } from './Avatar';
import { Dialog } from './Dialog';
import { EmojiPicker, emojiName } from './EmojiPicker';
import { EditIcon, FileIcon, ReplyIcon, SmileIcon, TrashIcon } from './icons';
import { MessageText } from './MessageText';

export interface MessageItemProps {
  message: ChatMessage;
  channelId: string;
  /** Same author as the message before, shortly after: no name and picture again. */
  compact: boolean;
  /** The day this message starts, when it is the first of its day. */
  dayLabel: string | null;
  /** The first message not read when the channel was opened. */
  unreadDivider: boolean;
  inThread?: boolean;
  /** Roving focus: the one message in the list reachable with Tab. */
  tabbable: boolean;
  highlighted?: boolean;
  onOpenThread?: (messageId: number) => void;
}

export function timeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function fullDate(iso: string): string {
  return new Date(iso).toLocaleString([], { dateStyle: 'full', timeStyle: 'short' });
}

/** The hook every message row uses for "is this handle me?" (my mentions are highlighted). */
function useMyHandles(): ReadonlySet<string> {
  const chat = useChat();
  const me = useStore(chat.me);
  return useMemo(() => new Set([mentionHandle(me), me.email.split('@')[0]!.toLowerCase(), me.displayName.replace(/\s+/g, '').toLowerCase()]), [me]);
}

export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { message, channelId, compact, dayLabel, unreadDivider, inThread = false, tabbable, highlighted, onOpenThread } = props;
  const chat = useChat();
  const people = useStore(chat.people);
  const me = useStore(chat.me);
  const myHandles = useMyHandles();
  const canReact = useTenantFeature('reactions');
  const hasThreads = useTenantFeature('threads');
  const [editing, setEditing] = useState(false);
  const [picking, setPicking] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const author = people.get(message.userId);
  const mine = message.userId === me.id;
  const mayDelete = mine || me.role === 'owner' || me.role === 'admin';
  const mentionsMe = message.mentions.includes(me.id);
  const authorName = author?.displayName ?? chat.people.name(message.userId);

  const reactButton = useRef<HTMLButtonElement>(null);
  const articleRef = useRef<HTMLElement>(null);
  // Confirming a deletion removes the Delete button focus would go back to: the message (its
  // tombstone) takes focus instead.
  const focusMessageAfterDialog = useRef(false);
  function closePicker() {
    setPicking(false);
    reactButton.current?.focus();
  }

  function react(emoji: string) {
    closePicker();
    chat.toggleReaction(channelId, message.id, emoji).catch((err: unknown) => notices.toast(`Could not react: ${describeError(err)}`));
  }

  return (
    <div className="message-row">
      {dayLabel ? (
        <div className="day-divider" aria-hidden="true">
          <span>{dayLabel}</span>
        </div>
      ) : null}
      {unreadDivider ? (
        <div className="unread-divider" aria-hidden="true">
          <span>New</span>
        </div>
      ) : null}
      <article
        ref={articleRef}
        className={`message${compact ? ' compact' : ''}${mentionsMe ? ' mentions-me' : ''}${highlighted ? ' highlighted' : ''}`}
        tabIndex={tabbable ? 0 : -1}
        data-message-id={message.id}
        aria-label={`${unreadDivider ? 'New. ' : ''}${authorName}, ${dayLabel ? `${dayLabel} ` : ''}${timeOf(message.createdAt)}${message.deleted ? ', deleted' : ''}`}
      >
        <div className="message-gutter">{compact ? <time className="hover-time" dateTime={message.createdAt}>{timeOf(message.createdAt)}</time> : <Avatar userId={message.userId} user={author} />}</div>
        <div className="message-body">
          {compact ? null : (
            <div className="message-meta">
              <strong className="author">{authorName}</strong>
              <time dateTime={message.createdAt} title={fullDate(message.createdAt)}>
                {timeOf(message.createdAt)}
              </time>
            </div>
          )}
          {message.deleted ? (
            <p className="message-deleted">This message was deleted.</p>
          ) : editing ? (
            <EditBox
              initial={message.text}
              onCancel={() => setEditing(false)}
              onSave={async (text) => {
                try {
                  await chat.edit(channelId, message.id, text);
                  setEditing(false);
                } catch (err) {
                  notices.toast(`Could not save the edit: ${describeError(err)}`);
                }
              }}
            />
          ) : (
            <>
              {message.text ? <MessageText text={message.text} myHandles={myHandles} /> : null}
              {message.editedAt ? <span className="edited" title={fullDate(message.editedAt)}>(edited)</span> : null}
              {message.attachments.length ? <Attachments attachments={message.attachments} /> : null}
            </>
          )}
          {message.reactions.length ? (
            <ul className="reactions" aria-label="Reactions">
              {message.reactions.map((r) => {
                const reacted = r.users.includes(me.id);
                const who = r.users.map((u) => (u === me.id ? 'you' : chat.people.name(u))).join(', ');
                return (
                  <li key={r.emoji}>
                    <button
                      type="button"
                      className={`reaction${reacted ? ' mine' : ''}`}
                      aria-pressed={reacted}
                      aria-label={`${emojiName(r.emoji)}: ${r.count} (${who})${reacted ? '. Remove your reaction' : canReact ? '. Add yours' : ''}`}
                      title={who}
                      disabled={!reacted && !canReact}
                      onClick={() => react(r.emoji)}
                    >
                      <span aria-hidden="true">{r.emoji}</span> <span aria-hidden="true">{r.count}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          ) : null}
          {!inThread && message.replyCount > 0 && onOpenThread ? (
            <button type="button" className="thread-summary" onClick={() => onOpenThread(message.id)}>
              {message.replyCount === 1 ? '1 reply' : `${message.replyCount} replies`}
              {message.lastReplyAt ? <span> · last {timeOf(message.lastReplyAt)}</span> : null}
            </button>
          ) : null}
        </div>
        {!message.deleted && !editing ? (
          <div className="message-actions" role="group" aria-label="Message actions">
            {canReact ? (
              <button ref={reactButton} type="button" className="icon-btn" aria-label="Add reaction" aria-expanded={picking} onClick={() => setPicking((p) => !p)}>
                <SmileIcon />
              </button>
            ) : null}
            {!inThread && hasThreads && onOpenThread && message.parentId === null ? (
              <button type="button" className="icon-btn" aria-label="Reply in thread" onClick={() => onOpenThread(message.id)}>
                <ReplyIcon />
              </button>
            ) : null}
            {mine ? (
              <button type="button" className="icon-btn" aria-label="Edit message" onClick={() => setEditing(true)}>
                <EditIcon />
              </button>
            ) : null}
            {mayDelete ? (
              <button
                type="button"
                className="icon-btn"
                aria-label="Delete message"
                onClick={() => {
                  focusMessageAfterDialog.current = false;
                  setConfirmDelete(true);
                }}
              >
                <TrashIcon />
              </button>
            ) : null}
            {picking ? <EmojiPicker onPick={react} onClose={closePicker} /> : null}
          </div>
        ) : null}
      </article>
      {confirmDelete ? (
        <Dialog
          title="Delete message?"
          onClose={() => setConfirmDelete(false)}
          focusAfterClose={() => (focusMessageAfterDialog.current ? articleRef.current : null)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => {
                  focusMessageAfterDialog.current = true;
                  setConfirmDelete(false);
                  chat.remove(channelId, message.id).catch((err: unknown) => notices.toast(`Could not delete the message: ${describeError(err)}`));
                }}
              >
                Delete
              </button>
            </>
          }
        >
          <p>The message will be removed for everyone. This cannot be undone.</p>
        </Dialog>
      ) : null}
    </div>
  );
});

function EditBox({ initial, onSave, onCancel }: { initial: string; onSave: (text: string) => Promise<void>; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const [saving, setSaving] = useState(false);
  const id = useId();
  async function save() {
    const t = text.trim();
    if (!t || t === initial) return onCancel();
    setSaving(true);
    await onSave(t);
    setSaving(false);
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void save();
    }
  }
  return (
    <div className="edit-box">
      <label className="visually-hidden" htmlFor={id}>
        Edit message
      </label>
      <textarea id={id} className="textarea" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} autoFocus rows={Math.min(8, text.split('\n').length + 1)} />
      <div className="edit-actions">
        <span className="hint">Enter to save, Escape to cancel</span>
        <button type="button" className="btn btn-sm" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="btn btn-sm btn-primary" disabled={saving} onClick={() => void save()}>
          Save
        </button>
      </div>
    </div>
  );
}

export function isImage(a: Pick<AttachmentView, 'contentType'>): boolean {
  return /^image\/(png|jpe?g|gif|webp|avif|bmp)$/i.test(a.contentType);
}

/** Files on a message: images inline (in a box of fixed height, so the list does not jump when they load), others as a download. */
export function Attachments({ attachments }: { attachments: AttachmentView[] }) {
  return (
    <ul className="attachments">
      {attachments.map((a) =>
        isImage(a) ? (
          <li key={a.id} className="attachment-image">
            <a href={a.url} target="_blank" rel="noopener noreferrer" aria-label={`Open image ${a.filename}`}>
              <img src={a.url} alt={a.filename} loading="lazy" decoding="async" />
            </a>
          </li>
        ) : (
          <li key={a.id} className="attachment-file">
            <FileIcon />
            <a href={a.url} download={a.filename}>
              {a.filename}
            </a>
            <span className="size">{formatBytes(a.sizeBytes)}</span>
          </li>
        ),
      )}
    </ul>
  );
}

/** A message written here and not stored yet: sending, waiting for the connection, or refused. */
export function PendingItem({ pending, tabbable, onRetry, onDiscard }: { pending: PendingMessage; tabbable: boolean; onRetry: () => void; onDiscard: () => void }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const myHandles = useMyHandles();
  return (
    <div className="message-row">
      <article className={`message pending ${pending.state}`} tabIndex={tabbable ? 0 : -1} aria-label={`${me.displayName}, ${pending.state === 'failed' ? 'not sent' : 'sending'}`}>
        <div className="message-gutter">
          <Avatar userId={me.id} user={me} />
        </div>
        <div className="message-body">
          <div className="message-meta">
            <strong className="author">{me.displayName}</strong>
            <span className="pending-state">{pending.state === 'failed' ? 'Not sent' : pending.state === 'queued' ? 'Waiting for connection…' : 'Sending…'}</span>
          </div>
          {pending.text ? <MessageText text={pending.text} myHandles={myHandles} /> : null}
          {pending.attachments.length ? <Attachments attachments={pending.attachments} /> : null}
          {pending.state === 'failed' ? (
            <div className="pending-error" role="alert">
              <span>{pending.error}</span>
              <button type="button" className="btn btn-sm" onClick={onRetry}>
                Retry
              </button>
              <button type="button" className="btn btn-sm btn-ghost" onClick={onDiscard}>
                Discard
              </button>
            </div>
          ) : null}
        </div>
      </article>
    </div>
  );
}
