import pg from 'pg';
import {
  SESSION_SETTINGS,
  beginStatement,
  textParams,
  type BatchOptions,
  type SqlBackend,
  type Statement,
  type StatementResult,
} from './backend';

/** Hand every value over as the text Postgres sent: the Neon driver parses it, not us. */
const rawText: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

/** A real PostgreSQL server through node-postgres, with a small pool of connections. */
export class PostgresBackend implements SqlBackend {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(connectionString: string, maxConnections = 10) {
    this.pool = new pg.Pool({
      connectionString,
      max: maxConnections,
      types: rawText,
      options: SESSION_SETTINGS.map(([k, v]) => `-c ${k}=${v}`).join(' '),
    });
    // An idle client that errors (server restart) must not crash the gateway process.
    this.pool.on('error', (err) => console.error('[gateway] idle postgres client error:', err.message));
  }

  async run(statement: Statement): Promise<StatementResult> {
    return toResult(await this.pool.query(queryConfig(statement)));
  }

  async runBatch(statements: Statement[], options: BatchOptions): Promise<StatementResult[]> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query(beginStatement(options));
      try {
        const results: StatementResult[] = [];
        for (const s of statements) results.push(toResult(await client.query(queryConfig(s))));
        await client.query('COMMIT');
        return results;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function queryConfig({ query, params }: Statement): pg.QueryArrayConfig {
  return { text: query, values: textParams(params), rowMode: 'array', types: rawText };
}

function toResult(res: pg.QueryArrayResult<(string | null)[]>): StatementResult {
  return {
    command: res.command,
    rowCount: res.rowCount,
    rows: res.rows,
    fields: res.fields.map((f) => ({
      name: f.name,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeID: f.dataTypeID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: 'text' as const,
    })),
  };
}
