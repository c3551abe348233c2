import { z } from 'zod';

/**
 * The one way a point in time enters the API (filters, cursors, admin fields): ISO 8601 with a
 * date, a time and an offset (`2026-03-04T05:06:07.123Z`, `...+02:00`), a real calendar date,
 * and an instant between 0001-01-01 and 9999-12-31 UTC. `Date.parse` alone accepts far more
 * ("2026", "Tue", Feb 30 as March 2, years past 9999 that serialise as "+010000-..."), and
 * Postgres refuses much of that: such text must never reach a query.
 */
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-](\d{2}):(\d{2}))$/;
const FIRST_INSTANT = new Date('0001-01-01T00:00:00Z').getTime();
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z').getTime();

export function parseTimestamp(text: string): Date | null {
  const m = ISO_TIMESTAMP.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, , , oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (oh !== undefined && (Number(oh) > 14 || Number(om) > 59)) return null;
  // The calendar date must exist: 2026-02-30 is not March 2.
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  const instant = new Date(text);
  const ms = instant.getTime();
  if (Number.isNaN(ms) || ms < FIRST_INSTANT || ms > LAST_INSTANT) return null;
  return instant;
}

export const TIMESTAMP_HINT = 'must be an ISO 8601 time with an offset, such as 2026-03-04T05:06:07Z, between years 0001 and 9999';

/** A timestamp field of a body or query: the text in, a Date out. */
export const timestampSchema = z
  .string()
  .max(40, TIMESTAMP_HINT)
  .transform((text, ctx) => {
    const date = parseTimestamp(text);
    if (!date) {
      ctx.addIssue({ code: 'custom', message: TIMESTAMP_HINT });
      return z.NEVER;
    }
    return date;
  });
