import { useCallback, useEffect, useRef, useState } from 'react';

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export interface CursorList<T> {
  /** What is listed so far; null before the first page has come. */
  items: T[] | null;
  /** The cursor of the next page, or null when there is none. */
  next: string | null;
  /** A page is on its way. */
  busy: boolean;
  /**
   * Fetches a page: the first (`cursor` null, which replaces the list) or the one after `cursor`
   * (appended). A load still on its way is cancelled first. Resolves to the page once it is
   * listed, or null if it was cancelled (a later load, leaving the page); other failures reject,
   * for the caller to show, and leave the list as it was.
   */
  load<P extends { nextCursor: string | null }>(cursor: string | null, fetchPage: (signal: AbortSignal) => Promise<P>, itemsOf: (page: P) => T[]): Promise<P | null>;
}

/** A list read page by page with a cursor ("Load more"), for pages whose filters or sort decide what the first page is. */
export function useCursorList<T>(): CursorList<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = useRef<AbortController | null>(null);

  // Leaving the page cancels what it was still loading.
  useEffect(() => () => current.current?.abort(), []);

  const load = useCallback(async <P extends { nextCursor: string | null }>(cursor: string | null, fetchPage: (signal: AbortSignal) => Promise<P>, itemsOf: (page: P) => T[]): Promise<P | null> => {
    current.current?.abort();
    const ctrl = new AbortController();
    current.current = ctrl;
    setBusy(true);
    try {
      const page = await fetchPage(ctrl.signal);
      // Answered just as a later load began: that one decides the list.
      if (current.current !== ctrl) return null;
      const more = itemsOf(page);
      setItems((prev) => (cursor && prev ? [...prev, ...more] : more));
      setNext(page.nextCursor);
      return page;
    } catch (err) {
      if (isAbort(err) || current.current !== ctrl) return null;
      throw err;
    } finally {
      // Done: a later load or leaving the page must not abort it (Chromium still counts a
      // fetch whose body was read as open for a moment, and would report it cancelled).
      if (current.current === ctrl) {
        current.current = null;
        setBusy(false);
      }
    }
  }, []);

  return { items, next, busy, load };
}
