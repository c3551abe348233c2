import { useSyncExternalStore } from 'react';
import { formatWait } from '../api/errors';
import { notices } from '../lib/notices';
import { useCountdown } from '../lib/useCountdown';

/** Failed requests and other passing news, announced to screen readers as they come. */
export function Toasts() {
  const { toasts } = useSyncExternalStore(notices.subscribe, notices.get);
  return (
    <div className="toasts" role="region" aria-label="Notifications">
      <div aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'}>
            <span style={{ flex: 1 }}>{t.text}</span>
            <button type="button" aria-label="Dismiss" onClick={() => notices.dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}

/** While requests wait out a rate limit (they retry by themselves). */
export function RateLimitBanner() {
  const { rateLimitedUntil } = useSyncExternalStore(notices.subscribe, notices.get);
  // Ticks, so the wait shown goes down as it passes.
  const secondsLeft = useCountdown(rateLimitedUntil);
  if (!rateLimitedUntil) return null;
  const seconds = Math.max(1, secondsLeft);
  return (
    <div className="banner warning" role="status">
      Slowing down: too many requests at once. Retrying in {formatWait(seconds)}…
    </div>
  );
}
