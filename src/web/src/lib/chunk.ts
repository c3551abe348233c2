import { useEffect, useState } from 'react';

/**
 * A code chunk loaded on demand (the chat, the admin pages, the charts), rendered directly once
 * it is here rather than through React.lazy: React 19 holds a suspended tree back for up to
 * 300 ms even when its code has arrived, a pause people see on every admin page.
 */
export interface Chunk<M> {
  load(): Promise<M>;
  /** The module if it has arrived already. */
  loaded(): M | null;
  /** Fetches it ahead of need (from the sign-in page, say); a failure is retried by the next load. */
  preload(): void;
}

export function chunk<M>(importer: () => Promise<M>): Chunk<M> {
  let loaded: M | null = null;
  let loading: Promise<M> | null = null;
  const load = (): Promise<M> =>
    (loading ??= importer().then(
      (m) => (loaded = m),
      (err: unknown) => {
        loading = null;
        throw err;
      },
    ));
  return { load, loaded: () => loaded, preload: () => void load().catch(() => undefined) };
}

/** The chunk's module once it is here (null until then), or that it could not be loaded. */
export function useChunk<M>(c: Chunk<M>): { module: M | null; failed: boolean } {
  const [module, setModule] = useState<M | null>(c.loaded);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!module) c.load().then(setModule, () => setFailed(true));
  }, [c, module]);
  return { module, failed };
}
