/** How the app writes sizes, money, counts and dates: one place, so every page says them alike. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** A price in the currency's minor unit (Stripe's cents) as people read it: $15, $150.50. */
export function formatMoney(minor: number, currency = 'usd'): string {
  const whole = minor % 100 === 0;
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: whole ? 0 : 2 }).format(minor / 100);
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat('en').format(n);
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
}

/** Whole days from now until `iso`, rounded up (a trial ending in 3 hours has 1 day left); 0 once past. */
export function daysUntil(iso: string, now = Date.now()): number {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - now) / 86_400_000));
}

/** A usage period (`2026-12`) as a month: "December 2026"; `short`: "Dec 26". */
export function formatMonth(period: string, short = false): string {
  const [y, m] = period.split('-').map(Number);
  const date = new Date(Date.UTC(y!, m! - 1, 1));
  return date.toLocaleDateString(undefined, short ? { month: 'short', year: '2-digit', timeZone: 'UTC' } : { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
