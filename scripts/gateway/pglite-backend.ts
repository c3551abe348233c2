import { PGlite, types, Mutex } from '@electric-sql/pglite';
import type { Results } from '@electric-sql/pglite';
import {
  SESSION_SETTINGS,
  beginStatement,
  textParams,
  type BatchOptions,
  type SqlBackend,
  type Statement,
  type StatementResult,
} from './backend';

type Identity = (value: string) => string;

/**
 * PGlite, the embedded Postgres. It has exactly one connection, so every request takes the
 * mutex and a batch holds it from BEGIN to COMMIT: no other request can run in between, which
 * is what a transaction on its own connection would guarantee on a real server.
 */
export class PgliteBackend implements SqlBackend {
  readonly kind = 'pglite' as const;
  private readonly mutex = new Mutex();
  /**
   * PGlite parses and serializes values itself; the gateway must not (it passes Postgres text
   * through untouched, as Neon does). So every type PGlite knows gets the identity function:
   * its built-in parsers and every type that exists when the gateway starts (array types
   * included, which PGlite registers at start-up). Types created later have no PGlite parser.
   */
  private readonly passThrough: Record<number, Identity>;

  private constructor(private readonly db: PGlite, oids: number[]) {
    const identity: Identity = (v) => v;
    this.passThrough = {};
    for (const key of [...Object.keys(types.parsers), ...Object.keys(types.serializers)]) {
      this.passThrough[Number(key)] = identity;
    }
    for (const oid of oids) this.passThrough[oid] = identity;
  }

  /** `dataDir` undefined: in memory (tests). A path: persisted (dev, under .data/). */
  static async open(dataDir?: string): Promise<PgliteBackend> {
    const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
    await db.exec(SESSION_SETTINGS.map(([k, v]) => `SET ${k} = '${v}';`).join('\n'));
    const oids = await db.query<[number]>('SELECT oid::int4 FROM pg_type', [], { rowMode: 'array' });
    return new PgliteBackend(db, oids.rows.map((r) => r[0]));
  }

  run(statement: Statement): Promise<StatementResult> {
    return this.mutex.runExclusive(() => this.exec(statement));
  }

  runBatch(statements: Statement[], options: BatchOptions): Promise<StatementResult[]> {
    return this.mutex.runExclusive(async () => {
      await this.db.query(beginStatement(options));
      try {
        const results: StatementResult[] = [];
        for (const s of statements) results.push(await this.exec(s));
        await this.db.query('COMMIT');
        return results;
      } catch (error) {
        await this.db.query('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.mutex.runExclusive(() => this.db.close());
  }

  private async exec({ query, params }: Statement): Promise<StatementResult> {
    const res: Results<(string | null)[]> = await this.db.query(query, textParams(params), {
      rowMode: 'array',
      parsers: this.passThrough,
      serializers: this.passThrough,
    });
    return {
      command: res.command ?? '',
      rowCount: res.rowCount ?? res.affectedRows ?? null,
      rows: res.rows,
      fields: res.fields.map((f) => ({
        name: f.name,
        tableID: 0,
        columnID: 0,
        dataTypeID: f.dataTypeID,
        dataTypeSize: -1,
        dataTypeModifier: -1,
        format: 'text' as const,
      })),
    };
  }
}
