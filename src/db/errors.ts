/**
 * How a database error should surface. The Neon driver throws NeonDbError: with a SQLSTATE
 * `code` when Postgres answered, without one when the HTTP call itself failed (refused,
 * aborted by our timeout, 5xx from the endpoint).
 */
export type DatabaseErrorKind = 'unavailable' | 'busy' | 'input' | 'query' | 'not_database';

/**
 * Data exceptions that only a value from a request can cause in our (static) SQL: text that is
 * not a number, uuid or timestamp, an unstorable character, a value out of range, a LIKE escape.
 * The edge validates all of these first; reaching the database means a gap in that validation.
 */
const INPUT_STATES = new Set(['22P02', '22021', '22P05', '22007', '22008', '22003', '22001', '22025', '2201B', '22019']);

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** TenantDb's session check failed (signed out, password or role changed, deactivated): SQLSTATE NC401. */
export function isSessionRevoked(err: unknown): boolean {
  return sqlState(err) === 'NC401';
}

/** A write referred to a channel that no longer exists (deleted meanwhile): a foreign key on the channel failed, SQLSTATE 23503. */
export function isChannelGone(err: unknown): boolean {
  return sqlState(err) === '23503' && String((err as { constraint?: unknown }).constraint ?? '').includes('channel');
}

export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  if (!(err instanceof Error)) return 'not_database';
  const code = sqlState(err);
  if (code) {
    // 08: connection exception; 53: insufficient resources; 57P0x: server shutting down.
    if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) return 'unavailable';
    // Serialization failure and deadlock: the client may simply retry.
    if (code === '40001' || code === '40P01') return 'busy';
    if (INPUT_STATES.has(code)) return 'input';
    return 'query';
  }
  if (err.name === 'NeonDbError') return 'unavailable';
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'unavailable';
  return 'not_database';
}
