/**
 * App-wide notices outside any one component: toasts for failed requests and the banner while
 * requests wait out a rate limit. A tiny external store (useSyncExternalStore reads it).
 */

export interface Toast {
  id: number;
  tone: 'error' | 'info';
  text: string;
}

export interface NoticeState {
  toasts: Toast[];
  /** When set, requests are waiting for the rate limit until this time (ms since epoch). */
  rateLimitedUntil: number | null;
}

type Listener = () => void;

let state: NoticeState = { toasts: [], rateLimitedUntil: null };
const listeners = new Set<Listener>();
let nextId = 1;

function set(next: NoticeState): void {
  state = next;
  for (const l of listeners) l();
}

export const notices = {
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  get(): NoticeState {
    return state;
  },
  toast(text: string, tone: Toast['tone'] = 'error'): void {
    // The same sentence twice in a row is one toast, not a stack of them.
    if (state.toasts.some((t) => t.text === text)) return;
    const id = nextId++;
    set({ ...state, toasts: [...state.toasts.slice(-3), { id, tone, text }] });
    setTimeout(() => notices.dismiss(id), tone === 'error' ? 8000 : 4000);
  },
  dismiss(id: number): void {
    if (!state.toasts.some((t) => t.id === id)) return;
    set({ ...state, toasts: state.toasts.filter((t) => t.id !== id) });
  },
  rateLimited(until: number): void {
    if (state.rateLimitedUntil !== null && state.rateLimitedUntil >= until) return;
    set({ ...state, rateLimitedUntil: until });
    setTimeout(() => {
      if (state.rateLimitedUntil !== null && state.rateLimitedUntil <= Date.now()) set({ ...state, rateLimitedUntil: null });
    }, until - Date.now() + 50);
  },
};
