/** The chat's code chunk: loaded on demand, and ahead of time from the sign-in page. */
type ChatModule = typeof import('../chat/ChatApp');

let loaded: ChatModule | null = null;
let loading: Promise<ChatModule> | null = null;

export function loadChat(): Promise<ChatModule> {
  loading ??= import('../chat/ChatApp').then((m) => (loaded = m));
  return loading;
}

/**
 * The chunk if it is here already. Rendering it directly, rather than through React.lazy, spares
 * the moment React 19 holds a suspended tree back (up to 300 ms) even when the code has arrived.
 */
export function loadedChat(): ChatModule | null {
  return loaded;
}

export function preloadChat(): void {
  void loadChat();
}
