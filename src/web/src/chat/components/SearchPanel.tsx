import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/endpoints';
import { describeError } from '../../api/errors';
import type { SearchResult } from '../../api/types';
import { useStore } from '../../lib/store';
import { useChat } from '../context';
import { CloseIcon } from './icons';
import { Highlighted } from './MessageText';
import { timeOf } from './MessageItem';

/** Search results beside the channel; choosing one opens it where it was written. */
export function SearchPanel({ query, onClose, onOpen }: { query: string; onClose: () => void; onOpen: (r: SearchResult) => void }) {
  const chat = useChat();
  const people = useStore(chat.people);
  const [results, setResults] = useState<SearchResult[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  // The next page: asked for, or failed (said below the results, with the button to try again).
  const [more, setMore] = useState<{ state: 'idle' | 'loading' } | { state: 'failed'; error: string }>({ state: 'idle' });
  const moreController = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setStatus('loading');
    setResults([]);
    setCursor(null);
    setMore({ state: 'idle' });
    api
      .search(query, null, controller.signal)
      .then((r) => {
        setResults(r.results);
        setCursor(r.nextCursor);
        setStatus('ready');
        chat.people.ensure(r.results.map((x) => x.message.userId));
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setError(describeError(err));
        setStatus('error');
      });
    return () => {
      controller.abort();
      moreController.current?.abort();
    };
  }, [query, chat]);

  async function loadMore() {
    if (!cursor || more.state === 'loading') return;
    const controller = new AbortController();
    moreController.current = controller;
    setMore({ state: 'loading' });
    try {
      const r = await api.search(query, cursor, controller.signal);
      setResults((x) => [...x, ...r.results]);
      setCursor(r.nextCursor);
      setMore({ state: 'idle' });
      chat.people.ensure(r.results.map((x) => x.message.userId));
    } catch (err) {
      if (!controller.signal.aborted) setMore({ state: 'failed', error: describeError(err) });
    }
  }

  return (
    <aside className="side-panel" aria-labelledby="search-title" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <header className="side-panel-head">
        <div>
          <h2 id="search-title">Search</h2>
          <span className="muted">“{query}”</span>
        </div>
        <button type="button" className="icon-btn" aria-label="Close search" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div className="side-panel-body" aria-busy={status === 'loading'}>
        {status === 'loading' ? <div className="spinner small" role="status" aria-label="Searching" /> : null}
        {status === 'error' ? (
          <div className="form-error" role="alert">
            {error}
          </div>
        ) : null}
        {status === 'ready' && !results.length ? <p className="muted">No messages match “{query}”.</p> : null}
        <p className="visually-hidden" role="status">
          {status === 'ready' ? `${results.length}${cursor ? '+' : ''} results` : ''}
        </p>
        <ul className="search-results">
          {results.map((r) => (
            <li key={r.message.id}>
              <button type="button" className="search-result" onClick={() => onOpen(r)}>
                <span className="search-where">
                  {r.channelName ? `#${r.channelName}` : 'Direct message'} · {people.get(r.message.userId)?.displayName ?? chat.people.name(r.message.userId)} · {timeOf(r.message.createdAt)}
                  {r.message.parentId !== null ? ' · in a thread' : ''}
                </span>
                <span className="search-text">
                  <Highlighted html={r.highlight || r.message.text} />
                </span>
              </button>
            </li>
          ))}
        </ul>
        {more.state === 'failed' ? (
          <div className="form-error" role="alert">
            Could not load more results: {more.error}
          </div>
        ) : null}
        {cursor ? (
          <button type="button" className="btn btn-sm" disabled={more.state === 'loading'} onClick={() => void loadMore()}>
            {more.state === 'loading' ? 'Loading…' : more.state === 'failed' ? 'Try again' : 'More results'}
          </button>
        ) : null}
      </div>
    </aside>
  );
}
