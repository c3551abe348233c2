import { z } from 'zod';
import { usagePeriod } from '../attachments/usage';

/**
 * Usage periods are calendar months in UTC, written 'YYYY-MM' (the key of public.tenant_usage).
 */
export { usagePeriod };

export const periodSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month written YYYY-MM');

export interface PeriodBounds {
  period: string;
  /** First instant of the month (inclusive), ISO. */
  start: string;
  /** First instant of the next month (exclusive), ISO. */
  end: string;
}

export function periodBounds(period: string): PeriodBounds {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { period, start: new Date(Date.UTC(y, m - 1, 1)).toISOString(), end: new Date(Date.UTC(y, m, 1)).toISOString() };
}

/** `count` periods ending with `last`, oldest first. */
export function periodsEndingWith(last: string, count: number): string[] {
  const [y, m] = last.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => usagePeriod(new Date(Date.UTC(y, m - 1 - (count - 1 - i), 1))));
}

export function previousPeriod(period: string): string {
  return periodsEndingWith(period, 2)[0]!;
}
