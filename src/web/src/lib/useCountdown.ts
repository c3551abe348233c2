import { useEffect, useState } from 'react';

/**
 * Seconds left until `until` (ms since epoch), ticking; 0 when it has passed or is null. Read
 * from the clock at each render (the timer only re-renders), so a new `until` shows its own
 * wait at once, not one measured from when the component first mounted.
 */
export function useCountdown(until: number | null): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!until || until <= Date.now()) return;
    const timer = setInterval(() => {
      setTick((t) => t + 1);
      if (Date.now() >= until) clearInterval(timer);
    }, 500);
    return () => clearInterval(timer);
  }, [until]);
  return until ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : 0;
}
