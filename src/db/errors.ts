/**
 * How a database error should surface. The Neon driver throws NeonDbError: with a SQLSTATE
 * `code` when Postgres answered, without one when the HTTP call itself failed (refused,
 * aborted by our timeout, 5xx from the endpoint).
 */
export type DatabaseErrorKind = 'unavailable' | 'busy' | 'query' | 'not_database';

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** TenantDb's session check failed (signed out, password or role changed, deactivated): SQLSTATE NC401. */
export function isSessionRevoked(err: unknown): boolean {
  return sqlState(err) === 'NC401';
}

export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  if (!(err instanceof Error)) return 'not_database';
  const code = sqlState(err);
  if (code) {
    // 08: connection exception; 53: insufficient resources; 57P0x: server shutting down.
    if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P')) return 'unavailable';
    // Serialization failure and deadlock: the client may simply retry.
    if (code === '40001' || code === '40P01') return 'busy';
    return 'query';
  }
  if (err.name === 'NeonDbError') return 'unavailable';
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'unavailable';
  return 'not_database';
}
