import { useCallback, useEffect, useId, useRef, useState, type ChangeEvent, type ClipboardEvent, type DragEvent, type KeyboardEvent, type RefObject } from 'react';
import { Link } from 'wouter';
import { api } from '../../api/endpoints';
import { ApiError, describeError } from '../../api/errors';
import type { AttachmentView, UserView } from '../../api/types';
import { uploadFile, type UploadHandle } from '../../api/upload';
import { mayBuy } from '../../components/PlanNotice';
import { notices } from '../../lib/notices';
import { useStore } from '../../lib/store';
import { useTenant, useTenantFeature } from '../../tenant/TenantProvider';
import { useChat } from '../context';
import { draftKey, draftStore } from '../drafts';
import { mentionHandle } from '../people';
import { Avatar } from './Avatar';
import { PaperclipIcon, SendIcon, CloseIcon } from './icons';
import { formatBytes } from '../../lib/format';
import { isImage } from './MessageItem';

/**
 * Writing a message: Enter sends, Shift+Enter starts a new line; @ suggests people; files are
 * uploaded as soon as they are picked (with progress) and go with the message. What is written
 * stays per channel and thread while one looks elsewhere (chat/drafts.ts: the person's own).
 */

const MAX_ATTACHMENTS = 10;

interface Upload {
  key: string;
  file: File;
  progress: number;
  state: 'uploading' | 'done' | 'failed';
  attachment: AttachmentView | null;
  error: ApiError | null;
  handle: UploadHandle | null;
  previewUrl: string | null;
}

export function Composer({ channelId, parentId = null, label, autoFocus = false }: { channelId: string; parentId?: number | null; label: string; autoFocus?: boolean }) {
  const chat = useChat();
  const me = useStore(chat.me);
  const canUpload = useTenantFeature('fileUploads');
  const workspaceId = useTenant().tenant?.id ?? '';
  const draft = draftKey({ workspaceId, userId: me.id, channelId, parentId });
  const [text, setText] = useState(() => draftStore.get(draft));
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [hint, setHint] = useState<string | null>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const mention = useMentionSuggestions(text, textareaRef);

  useEffect(() => {
    setText(draftStore.get(draft));
    setUploads([]);
    if (autoFocus) textareaRef.current?.focus();
  }, [draft, autoFocus]);

  useEffect(() => {
    draftStore.set(draft, text);
  }, [draft, text]);

  // Grow with the text, up to a limit.
  useEffect(() => {
    const el = textareaRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const addFiles = useCallback(
    (files: File[]) => {
      if (!canUpload || !files.length) return;
      setUploads((current) => {
        const room = MAX_ATTACHMENTS - current.length;
        if (room <= 0) {
          setHint(`At most ${MAX_ATTACHMENTS} files per message.`);
          return current;
        }
        const added: Upload[] = files.slice(0, room).map((file) => ({
          key: `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`,
          file,
          progress: 0,
          state: 'uploading',
          attachment: null,
          error: null,
          handle: null,
          previewUrl: isImage({ contentType: file.type }) ? URL.createObjectURL(file) : null,
        }));
        for (const u of added) {
          const handle = uploadFile(channelId, u.file, (progress) => setUploads((list) => list.map((x) => (x.key === u.key ? { ...x, progress } : x))));
          u.handle = handle;
          handle.promise.then(
            (attachment) => setUploads((list) => list.map((x) => (x.key === u.key ? { ...x, state: 'done', progress: 1, attachment } : x))),
            (err: unknown) => setUploads((list) => list.map((x) => (x.key === u.key ? { ...x, state: 'failed', error: err instanceof ApiError ? err : new ApiError(0, 'upload_failed', describeError(err)) } : x))),
          );
        }
        return [...current, ...added];
      });
    },
    [canUpload, channelId],
  );

  function removeUpload(key: string) {
    setUploads((list) => {
      const u = list.find((x) => x.key === key);
      if (u?.state === 'uploading') u.handle?.abort();
      if (u?.previewUrl) URL.revokeObjectURL(u.previewUrl);
      return list.filter((x) => x.key !== key);
    });
  }

  function send() {
    const body = text.trim();
    if (uploads.some((u) => u.state === 'uploading')) {
      setHint('Wait for the files to finish uploading.');
      return;
    }
    const attachments = uploads.filter((u) => u.state === 'done' && u.attachment).map((u) => u.attachment!);
    if (!body && !attachments.length) return;
    chat.send(channelId, body, parentId, attachments);
    for (const u of uploads) if (u.previewUrl) URL.revokeObjectURL(u.previewUrl);
    setText('');
    setUploads([]);
    setHint(null);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (mention.onKeyDown(e, (u) => insertMention(u))) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  }

  function insertMention(u: UserView) {
    const el = textareaRef.current;
    if (!el || !mention.range) return;
    const handle = mentionHandle(u);
    const next = `${text.slice(0, mention.range.start)}@${handle} ${text.slice(mention.range.end)}`;
    const caret = mention.range.start + handle.length + 2;
    setText(next);
    mention.close();
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(caret, caret);
    });
  }

  function onChange(e: ChangeEvent<HTMLTextAreaElement>) {
    setText(e.target.value);
    setHint(null);
    if (e.target.value) chat.typing(channelId);
  }

  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const files = [...e.clipboardData.files];
    if (files.length && canUpload) {
      e.preventDefault();
      addFiles(files);
    }
  }

  function onDrop(e: DragEvent<HTMLDivElement>) {
    if (!canUpload || !e.dataTransfer.files.length) return;
    e.preventDefault();
    addFiles([...e.dataTransfer.files]);
  }

  const uploading = uploads.some((u) => u.state === 'uploading');
  const canSend = (text.trim().length > 0 || uploads.some((u) => u.state === 'done')) && !uploading;

  return (
    <div className="composer" onDragOver={(e) => canUpload && e.preventDefault()} onDrop={onDrop}>
      {mention.open ? (
        <ul className="mention-list" role="listbox" id={`${id}-mentions`} aria-label="People to mention">
          {mention.options.map((u, i) => (
            <li
              key={u.id}
              id={`${id}-mention-${i}`}
              role="option"
              aria-selected={i === mention.active}
              className={i === mention.active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                insertMention(u);
              }}
            >
              <Avatar userId={u.id} user={u} size={22} />
              <span className="name">{u.displayName}</span>
              <span className="handle">@{mentionHandle(u)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {uploads.length ? (
        <ul className="upload-tray" aria-label="Files to send">
          {uploads.map((u) => (
            <li key={u.key} className={`upload ${u.state}`}>
              {u.previewUrl ? <img src={u.previewUrl} alt="" className="upload-thumb" /> : <span className="upload-thumb file" aria-hidden="true" />}
              <div className="upload-info">
                <span className="upload-name">{u.file.name}</span>
                {u.state === 'failed' && u.error ? (
                  <span className="upload-error" role="alert">
                    {u.error.message}
                    {u.error.code === 'plan_limit' && u.error.planLimit()?.upgrade && mayBuy(me.role) ? (
                      <>
                        {' '}
                        <Link href="/billing">Upgrade</Link>
                      </>
                    ) : null}
                  </span>
                ) : (
                  <span className="upload-size">{u.state === 'done' ? formatBytes(u.file.size) : `${Math.round(u.progress * 100)}% of ${formatBytes(u.file.size)}`}</span>
                )}
                {u.state === 'uploading' ? <progress max={1} value={u.progress} aria-label={`Uploading ${u.file.name}`} /> : null}
              </div>
              <button type="button" className="icon-btn" aria-label={u.state === 'uploading' ? `Cancel upload of ${u.file.name}` : `Remove ${u.file.name}`} onClick={() => removeUpload(u.key)}>
                <CloseIcon />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="composer-box">
        <label htmlFor={`${id}-text`} className="visually-hidden">
          {label}
        </label>
        <textarea
          id={`${id}-text`}
          ref={textareaRef}
          className="composer-input"
          rows={1}
          placeholder={label}
          value={text}
          onChange={onChange}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onSelect={mention.refresh}
          onBlur={() => setTimeout(mention.close, 100)}
          aria-autocomplete="list"
          aria-controls={mention.open ? `${id}-mentions` : undefined}
          aria-activedescendant={mention.open ? `${id}-mention-${mention.active}` : undefined}
          aria-describedby={`${id}-help`}
          autoFocus={autoFocus}
          maxLength={4000}
        />
        <div className="composer-tools">
          {canUpload ? (
            <>
              <input
                ref={fileRef}
                type="file"
                multiple
                className="visually-hidden"
                tabIndex={-1}
                aria-hidden="true"
                onChange={(e) => {
                  addFiles([...(e.target.files ?? [])]);
                  e.target.value = '';
                }}
              />
              <button type="button" className="icon-btn" aria-label="Attach files" onClick={() => fileRef.current?.click()}>
                <PaperclipIcon />
              </button>
            </>
          ) : null}
          <button type="button" className="icon-btn send" aria-label="Send message" disabled={!canSend} onClick={send}>
            <SendIcon />
          </button>
        </div>
      </div>
      <p id={`${id}-help`} className="composer-help">
        {hint ?? 'Enter to send, Shift+Enter for a new line'}
      </p>
    </div>
  );
}

/** The @word before the caret, the people it matches (here first, then from the server), and keyboard choice. */
function useMentionSuggestions(text: string, ref: RefObject<HTMLTextAreaElement | null>) {
  const chat = useChat();
  // Subscribed so that suggestions follow as more people become known.
  useStore(chat.people);
  const [range, setRange] = useState<{ start: number; end: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [remote, setRemote] = useState<UserView[]>([]);
  const [dismissed, setDismissed] = useState(false);

  const refresh = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    const caret = el.selectionStart;
    const before = el.value.slice(0, caret);
    const m = /(^|[^\w@])@([\w.-]{0,30})$/.exec(before);
    if (!m) return setRange(null);
    const start = caret - m[2]!.length - 1;
    setRange((r) => (r && r.start === start && r.query === m[2] ? r : { start, end: caret, query: m[2]! }));
  }, [ref]);

  useEffect(() => {
    refresh();
    setDismissed(false);
  }, [text, refresh]);

  // The first page of people may not be everyone: ask the server too, debounced.
  useEffect(() => {
    if (!range || !range.query) return setRemote([]);
    const controller = new AbortController();
    const t = setTimeout(() => {
      api
        .users({ search: range.query, limit: 8 }, controller.signal)
        .then(({ users }) => {
          chat.people.merge(users);
          setRemote(users);
        })
        .catch((err: unknown) => {
          // The people known here are still suggested; say once that the rest could not be asked for.
          if (!controller.signal.aborted) notices.toast(`Could not look people up: ${describeError(err)}`);
        });
    }, 200);
    return () => {
      clearTimeout(t);
      controller.abort();
    };
  }, [range, chat]);

  const local = range ? chat.people.matching(range.query) : [];
  const options = range ? dedupe([...local, ...remote.filter((u) => u.status === 'active')]).slice(0, 8) : [];
  const open = !!range && !dismissed && options.length > 0;

  useEffect(() => setActive(0), [range?.query]);

  return {
    open,
    options,
    active: Math.min(active, Math.max(0, options.length - 1)),
    range,
    refresh,
    close: () => setDismissed(true),
    onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>, pick: (u: UserView) => void): boolean {
      if (!open) return false;
      if (e.key === 'ArrowDown') setActive((a) => (a + 1) % options.length);
      else if (e.key === 'ArrowUp') setActive((a) => (a - 1 + options.length) % options.length);
      else if (e.key === 'Enter' || e.key === 'Tab') pick(options[Math.min(active, options.length - 1)]!);
      else if (e.key === 'Escape') setDismissed(true);
      else return false;
      e.preventDefault();
      return true;
    },
  };
}

function dedupe(users: UserView[]): UserView[] {
  const seen = new Set<string>();
  return users.filter((u) => (seen.has(u.id) ? false : (seen.add(u.id), true)));
}
