/**
 * What the gateway needs from a database: run one statement, or several as one transaction.
 * Two implementations: PGlite (embedded, one connection) and node-postgres (a real server).
 * Both return values exactly as Postgres sends them in text format, so the Neon driver in the
 * Worker parses them with the same type parsers it uses against Neon.
 */
export interface FieldDescription {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: 'text';
}

export interface StatementResult {
  command: string;
  rowCount: number | null;
  rows: (string | null)[][];
  fields: FieldDescription[];
}

export interface Statement {
  query: string;
  params: unknown[];
}

export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

export interface BatchOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

export interface SqlBackend {
  readonly kind: 'pglite' | 'postgres';
  run(statement: Statement): Promise<StatementResult>;
  /** All statements in one transaction: every one commits, or none does. */
  runBatch(statements: Statement[], options: BatchOptions): Promise<StatementResult[]>;
  close(): Promise<void>;
}

/**
 * Session settings every gateway connection starts with, matching Neon's defaults, so the
 * text Postgres sends (dates, times) does not depend on how the local server is configured.
 */
export const SESSION_SETTINGS: [string, string][] = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO'],
  ['IntervalStyle', 'postgres'],
];

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

/** The BEGIN statement for a batch, with the transaction modes the driver asked for. */
export function beginStatement(options: BatchOptions): string {
  const modes: string[] = [];
  if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[options.isolationLevel]}`);
  if (options.readOnly !== undefined) modes.push(options.readOnly ? 'READ ONLY' : 'READ WRITE');
  if (options.deferrable !== undefined) modes.push(options.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return modes.length ? `BEGIN ${modes.join(', ')}` : 'BEGIN';
}

export function isIsolationLevel(value: string): value is IsolationLevel {
  return value in ISOLATION_SQL;
}

/** Params arrive as JSON: strings (already in Postgres text form), numbers, booleans or null. */
export function textParams(params: unknown[]): (string | null)[] {
  return params.map((p) => {
    if (p === null || p === undefined) return null;
    if (typeof p === 'string') return p;
    if (typeof p === 'number' || typeof p === 'boolean' || typeof p === 'bigint') return String(p);
    return JSON.stringify(p);
  });
}
