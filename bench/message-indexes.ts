/**
 * bench/message-indexes — what each index on nchat_messages costs and what it buys, on a
 * tenant schema holding 1,000,000 messages (issue 14, part 5; figures in docs/message-storage.md).
 *
 * Builds a scratch schema from the real tenant migrations (migrations/tenant/*.sql, applied in
 * one transaction with search_path set, as tenant creation does) on the PostgreSQL server at
 * DATABASE_URL, fills it with MESSAGES messages over CHANNELS channels and USERS people (seeded
 * generator: chat words, a Zipf long tail of rare words and names, ~12 % replies, client ids,
 * 1 % deleted, a year of timestamps in order), then, for each variant of the index set,
 * interleaved over ROUNDS rounds:
 *   - the product's queries, p50/p99 over RUNS runs, with the indexes their plans use: search
 *     (searchMessages' SQL, for words of several frequencies; with the GIN pending list empty
 *     and ~90 % full), the timeline page (listMessages), a thread, replay by seq, the resend
 *     check by client id (plain and through nchat_admit_message), a message by id, the month's
 *     usage counts, and two options that would need a code change;
 *   - insert cost as the room writes behind: writeBehindStatement's multi-row
 *     `INSERT ... OVERRIDING SYSTEM VALUE SELECT * FROM unnest(...) ON CONFLICT (channel_id, seq)
 *     DO NOTHING`, 100 and 500 rows a transaction, INSERT_ROWS rows a phase starting right after
 *     a CHECKPOINT: wall µs per row, server CPU µs per row (the backend's /proc stat, which other
 *     work on the machine disturbs far less than wall time), WAL bytes and full-page images per
 *     row, rows/s, group p50/p99/worst;
 *   - THROUGH replies written through (insertMessageStatement, one a statement);
 *   - the size of the table and of each index, as freshly built.
 * Variants: `current` (the migrations as they are) and `proposed` (current plus
 * migrations/tenant/0008_message_indexes.sql when it exists); more with VARIANTS=a,b,a+b from
 * CANDIDATES below. ABLATION=1 adds the insert cost with each index left out.
 * PostgreSQL only (PGlite would take several minutes just to load a million rows).
 *
 *   node --import tsx bench/message-indexes.ts            (about 6 minutes on 2 busy cores)
 *   ROUNDS=3 ABLATION=1 node --import tsx bench/message-indexes.ts   (the figures in the doc)
 *   DATABASE_URL=postgres://…   default postgres://postgres:postgres@127.0.0.1:5432/postgres
 *   MESSAGES=1000000 CHANNELS=50 USERS=200 INSERT_ROWS=30000 THROUGH=1000 RUNS=100 ROUNDS=2
 *   KEEP=1 leaves the scratch schema (bench_message_indexes) in place; REUSE=1 uses it if it is there
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { splitStatements } from '../src/db/migrations/migration';
import { MESSAGE_COLUMNS, type ChatMessage } from '../src/chat/message-model';
import { REPLAY_SQL, SEARCH_SQL, THREAD_SQL } from '../src/chat/messages';
import { insertMessageStatement, writeBehindStatement, type LoggedMessage } from '../src/chat/post-message';
import type { TenantDb } from '../src/tenancy/tenant-db';
import { loadMigrations } from '../scripts/lib/migration-files';
import { percentile, printTable } from './stats';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const MESSAGES = Number(process.env.MESSAGES ?? 1_000_000);
const CHANNELS = Number(process.env.CHANNELS ?? 50);
const USERS = Number(process.env.USERS ?? 200);
const INSERT_ROWS = Number(process.env.INSERT_ROWS ?? 30_000);
const RUNS = Number(process.env.RUNS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SCHEMA = process.env.SCHEMA ?? 'bench_message_indexes';
const KEEP = process.env.KEEP === '1';
const REUSE = process.env.REUSE === '1';
const ABLATION = process.env.ABLATION === '1';
const THROUGH = Number(process.env.THROUGH ?? 1000);
const GROUP_SIZES = (process.env.GROUP_SIZES ?? '100,500').split(',').map(Number);
const ROOT = join(import.meta.dirname, '..');
const PROPOSAL_VERSION = '0008';
const PROPOSAL_FILE = join(ROOT, 'migrations', 'tenant', `${PROPOSAL_VERSION}_message_indexes.sql`);

const S = `"${SCHEMA}"`;
const started = performance.now();
const log = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

// ---------------------------------------------------------------------------------------------
// Variants: statements applied on top of the current index set (the migrations' own).
// ---------------------------------------------------------------------------------------------

const CANDIDATES: Record<string, string[]> = {
  // The GIN index without its pending list: every insert goes into the entry tree at once.
  'gin-fastupdate-off': [`ALTER INDEX nchat_messages_search_idx SET (fastupdate = off)`],
  // A larger pending list (default 4 MB): fewer, larger merges; every search reads the list.
  'gin-pending-16mb': [`ALTER INDEX nchat_messages_search_idx SET (gin_pending_list_limit = 16384)`],
  'gin-pending-1mb': [`ALTER INDEX nchat_messages_search_idx SET (gin_pending_list_limit = 1024)`],
  'gin-pending-2mb': [`ALTER INDEX nchat_messages_search_idx SET (gin_pending_list_limit = 2048)`],
  // The timeline index only for what the timeline shows (top-level messages).
  'channel-partial': [
    `CREATE INDEX IF NOT EXISTS nchat_messages_timeline_idx ON nchat_messages (channel_id, id DESC) WHERE parent_id IS NULL`,
    `DROP INDEX IF EXISTS nchat_messages_channel_idx`,
  ],
  // Resend check on the client id alone (channel and author checked on the row).
  'client-narrow': [
    `CREATE INDEX IF NOT EXISTS nchat_messages_client_id_idx ON nchat_messages (client_id) WHERE client_id IS NOT NULL`,
    `DROP INDEX IF EXISTS nchat_messages_client_idx`,
  ],
  'client-hash': [`CREATE INDEX IF NOT EXISTS nchat_messages_client_hash_idx ON nchat_messages USING hash (client_id)`, `DROP INDEX IF EXISTS nchat_messages_client_idx`],
  // The usage month on a BRIN range index (rows are stored in time order) instead of a b-tree.
  'created-brin': [
    `CREATE INDEX IF NOT EXISTS nchat_messages_created_brin ON nchat_messages USING brin (created_at) WITH (pages_per_range = 32)`,
    `DROP INDEX IF EXISTS nchat_messages_created_idx`,
  ],
  // No search index at all: what the GIN costs (search then scans the table).
  'no-gin': [`DROP INDEX IF EXISTS nchat_messages_search_idx`],
};

function variantList(): { name: string; statements: string[] }[] {
  const list = [{ name: 'current', statements: [] as string[] }];
  if (existsSync(PROPOSAL_FILE)) list.push({ name: 'proposed', statements: splitStatements(readFileSync(PROPOSAL_FILE, 'utf8')) });
  for (const name of (process.env.VARIANTS ?? '').split(',').filter(Boolean)) {
    if (name === 'current' || name === 'proposed') continue;
    if (name.includes('+')) {
      const parts = name.split('+');
      for (const p of parts) if (!CANDIDATES[p]) throw new Error(`unknown variant ${p}; known: ${Object.keys(CANDIDATES).join(', ')}`);
      list.push({ name, statements: parts.flatMap((p) => CANDIDATES[p]!) });
      continue;
    }
    if (!CANDIDATES[name]) throw new Error(`unknown variant ${name}; known: ${Object.keys(CANDIDATES).join(', ')}`);
    list.push({ name, statements: CANDIDATES[name]! });
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Text: a seeded generator, so every run stores the same tenant.
// ---------------------------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUNCTION_WORDS = `the a to and i is it we you for of on in this that with be can have just so not but are will do at me if my
what was there it's think get now up ok yes no about from all out one like need should would know see go more some time when how
also thanks please let's sure yeah hey could maybe still then here our they them any did does been has had which who why where
than too very really right good great lol already again after before because while into over only`.split(/\s+/);

const CHAT_WORDS = `deploy release build test tests failed passing merge branch review pr bug fix issue customer meeting standup tomorrow
today staging production database query index migration latency dashboard alert incident rollback config server client api
endpoint timeout error logs metrics cache redis postgres docker kubernetes cluster node pod memory cpu disk backup restore
ticket sprint roadmap design mockup figma frontend backend mobile android ios browser safari chrome firefox login signup password
session token oauth sso invoice billing payment stripe refund pricing plan trial upgrade downgrade onboarding docs readme
changelog version hotfix patch feature flag experiment rollout canary monitor pager oncall weekend holiday vacation lunch coffee
office remote call zoom slack email calendar deadline estimate priority blocker scope demo feedback survey churn retention
growth marketing campaign launch webinar blog seo analytics funnel conversion revenue forecast budget hiring interview offer
contract legal security audit compliance gdpr encryption vulnerability scan firewall vpn network dns certificate domain
ssl proxy loadbalancer queue worker cron job scheduler webhook event stream kafka search elasticsearch export import csv
report chart spreadsheet quarter okr goal team manager lead engineer designer support sales partner vendor laptop monitor
keyboard printer wifi`.split(/\s+/);

/** A long tail: project names, people, products, typos. */
function longTail(rand: () => number, n: number): string[] {
  const onsets = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'cr', 'dr', 'fl', 'gr', 'kl', 'pr', 'st', 'tr', 'sh', 'ch', 'th'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou', 'y'];
  const codas = ['', '', 'n', 'r', 's', 'l', 'x', 'k', 'nd', 'rt', 'st', 'ng', 'm'];
  const words = new Set<string>();
  while (words.size < n) {
    const syllables = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let s = 0; s < syllables; s++) w += onsets[Math.floor(rand() * onsets.length)]! + vowels[Math.floor(rand() * vowels.length)]! + (s === syllables - 1 ? codas[Math.floor(rand() * codas.length)]! : '');
    words.add(w);
  }
  return [...words];
}

/** Zipf(s) sampler over n ranks. */
function zipf(rand: () => number, n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return () => {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

class TextGenerator {
  private rand: () => number;
  private tail: string[];
  private fnRank: () => number;
  private chatRank: () => number;
  private tailRank: () => number;
  readonly docFreq = new Map<string, number>();

  constructor(seed: number) {
    this.rand = mulberry32(seed);
    this.tail = longTail(mulberry32(seed + 1), 30_000);
    this.fnRank = zipf(this.rand, FUNCTION_WORDS.length, 1.0);
    this.chatRank = zipf(this.rand, CHAT_WORDS.length, 0.9);
    this.tailRank = zipf(this.rand, this.tail.length, 1.05);
  }

  message(countFreq: boolean): string {
    const r = this.rand();
    // Mostly short chat lines, some paragraphs (log-normal-ish: median ~9 words, tail to ~120).
    const n = Math.max(1, Math.min(150, Math.round(Math.exp(1.6 + 0.75 * gaussian(this.rand)))));
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = this.rand();
      if (k < 0.5) words.push(FUNCTION_WORDS[this.fnRank()]!);
      else if (k < 0.78) words.push(CHAT_WORDS[this.chatRank()]!);
      else if (k < 0.985) words.push(this.tail[this.tailRank()]!);
      else if (k < 0.993) words.push(`#${Math.floor(this.rand() * 5000)}`);
      else words.push(`https://example.com/${this.tail[Math.floor(this.rand() * this.tail.length)]}`);
    }
    if (r < 0.05) words.push('?');
    const text = words.join(' ');
    if (countFreq) for (const w of new Set(words)) this.docFreq.set(w, (this.docFreq.get(w) ?? 0) + 1);
    return text;
  }

  pick(n: number): number {
    return Math.floor(this.rand() * n);
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function uuidFrom(rand: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// The tenant
// ---------------------------------------------------------------------------------------------

interface Tenant {
  users: string[];
  channels: string[];
  /** Per channel: next seq. */
  nextSeq: Map<string, number>;
  /** Recent top-level message ids per channel (reply targets for inserted rows). */
  recentTop: Map<string, number[]>;
  members: Map<string, string[]>;
  nextId: number;
}

const client = new pg.Client({ connectionString: DATABASE_URL });
await client.connect();
const q = async <T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> => (await client.query(text, params as unknown[])).rows as T[];

async function schemaReady(): Promise<boolean> {
  const rows = await q<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'nchat_messages'`, [SCHEMA]);
  if (Number(rows[0]!.n) === 0) return false;
  const [c] = await q<{ n: string }>(`SELECT count(*) AS n FROM ${S}.nchat_messages`);
  return Number(c!.n) === MESSAGES;
}

async function build(gen: TextGenerator): Promise<void> {
  log(`building ${SCHEMA}: tenant migrations, ${USERS} users, ${CHANNELS} channels, ${MESSAGES.toLocaleString('en')} messages`);
  await q(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
  await q(`CREATE SCHEMA ${S}`);
  await q(`SET search_path TO ${S}, public`);
  // The index set before the proposal: every tenant migration but 0008 (which the `proposed`
  // variant applies).
  const migrations = (await loadMigrations('tenant')).filter((m) => !(m.version === PROPOSAL_VERSION && existsSync(PROPOSAL_FILE)));
  await q('BEGIN');
  for (const m of migrations) for (const st of m.statements) await q(st);
  await q('COMMIT');
  log(`applied tenant migrations ${migrations.map((m) => m.version).join(', ')}`);

  const rand = mulberry32(7);
  const users = Array.from({ length: USERS }, () => uuidFrom(rand));
  await q(`INSERT INTO nchat_users (id, email, display_name) SELECT id, 'user' || n || '@bench.test', 'User ' || n FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`, [users]);
  const channels = Array.from({ length: CHANNELS }, () => uuidFrom(rand));
  // 80 % public, the rest private; a few people in every channel, everyone in the big ones.
  const kinds = channels.map((_, i) => (i % 5 === 4 ? 'private' : 'public'));
  await q(
    `INSERT INTO nchat_channels (id, kind, name, created_by) SELECT id, kind, 'channel-' || n, $3::uuid FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS c(id, kind, n)`,
    [channels, kinds, users[0]],
  );
  const memberC: string[] = [];
  const memberU: string[] = [];
  channels.forEach((c, i) => {
    const share = i < 5 ? 1 : 0.1 + rand() * 0.4;
    for (const u of users) if (rand() < share) (memberC.push(c), memberU.push(u));
  });
  await q(`INSERT INTO nchat_channel_members (channel_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`, [memberC, memberU]);

  // Load without the secondary indexes, then build them from the migrations' own definitions.
  const defs = await indexDefinitions();
  const uniqueDef = await q<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '${SCHEMA}.nchat_messages'::regclass AND contype = 'u'`,
  );
  for (const u of uniqueDef) await q(`ALTER TABLE nchat_messages DROP CONSTRAINT ${u.name}`);
  for (const d of defs) if (!d.constraint) await q(`DROP INDEX ${S}.${d.name}`);
  await q(`SET synchronous_commit = off`);

  // Channel sizes are skewed (a few busy channels), messages interleaved in time order over a year.
  const weights = channels.map((_, i) => 1 / Math.pow(i + 1, 0.8));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  const pickChannel = () => {
    const u = rand();
    const i = cdf.findIndex((c) => c >= u);
    return i < 0 ? channels.length - 1 : i;
  };
  const members = new Map<string, string[]>();
  memberC.forEach((c, i) => (members.get(c) ?? members.set(c, []).get(c)!).push(memberU[i]!));
  const seq = new Map(channels.map((c) => [c, 0]));
  const recentTop = new Map<string, number[]>(channels.map((c) => [c, []]));
  const replyCount = new Map<number, number>();
  const t0 = Date.now() - 365 * 86_400_000;
  const step = (365 * 86_400_000) / MESSAGES;
  const CHUNK = 5000;
  let id = 1;
  while (id <= MESSAGES) {
    const cols = { id: [] as number[], channel: [] as string[], seq: [] as number[], user: [] as string[], parent: [] as (number | null)[], text: [] as string[], client: [] as (string | null)[], deleted: [] as (string | null)[], at: [] as string[] };
    for (let k = 0; k < CHUNK && id <= MESSAGES; k++, id++) {
      const c = channels[pickChannel()]!;
      const s = seq.get(c)! + 1;
      seq.set(c, s);
      const people = members.get(c) ?? users;
      const top = recentTop.get(c)!;
      // ~12 % replies, to one of the channel's recent top-level messages (a few threads run long).
      const parent = top.length > 0 && gen.chance(0.12) ? top[Math.min(top.length - 1, Math.floor(Math.pow(rand(), 3) * top.length))]! : null;
      if (parent === null) {
        top.unshift(id);
        if (top.length > 30) top.pop();
      } else replyCount.set(parent, (replyCount.get(parent) ?? 0) + 1);
      const at = new Date(t0 + id * step);
      const deleted = gen.chance(0.01);
      cols.id.push(id);
      cols.channel.push(c);
      cols.seq.push(s);
      cols.user.push(people[gen.pick(people.length)]!);
      cols.parent.push(parent);
      const text = gen.message(!deleted);
      cols.text.push(deleted ? '' : text);
      cols.client.push(gen.chance(0.97) ? uuidFrom(rand) : null);
      cols.deleted.push(deleted ? at.toISOString() : null);
      cols.at.push(at.toISOString());
    }
    await q(
      `INSERT INTO nchat_messages (id, channel_id, seq, user_id, parent_id, text, client_id, deleted_at, created_at) OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::uuid[], $5::bigint[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])`,
      [cols.id, cols.channel, cols.seq, cols.user, cols.parent, cols.text, cols.client, cols.deleted, cols.at],
    );
    if ((id - 1) % 100_000 === 0) log(`  ${(id - 1).toLocaleString('en')} messages`);
  }
  const parents = [...replyCount.keys()];
  await q(`UPDATE nchat_messages m SET reply_count = r.n FROM unnest($1::bigint[], $2::int[]) AS r(id, n) WHERE m.id = r.id`, [parents, parents.map((p) => replyCount.get(p)!)]);
  await q(`UPDATE nchat_channels c SET last_seq = s.seq FROM unnest($1::uuid[], $2::bigint[]) AS s(id, seq) WHERE c.id = s.id`, [channels, channels.map((c) => seq.get(c)!)]);
  await q(`SELECT setval(pg_get_serial_sequence('${SCHEMA}.nchat_messages', 'id'), $1)`, [MESSAGES]);
  await q(`VACUUM FULL nchat_messages`);
  log('loaded; building the indexes as the migrations define them');
  await q(`SET maintenance_work_mem = '512MB'`);
  for (const u of uniqueDef) await q(`ALTER TABLE nchat_messages ADD CONSTRAINT ${u.name} ${u.def}`);
  for (const d of defs) {
    if (d.constraint) continue;
    const t = performance.now();
    await q(d.def);
    log(`  ${d.name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await q(`RESET maintenance_work_mem`);
  await q(`RESET synchronous_commit`);
  await q(`VACUUM ANALYZE nchat_messages`);
  // The search words, chosen by how many messages hold them.
  await q(`CREATE TABLE ${S}.bench_words (word text PRIMARY KEY, df int NOT NULL)`);
  const entries = [...gen.docFreq.entries()].filter(([w]) => /^[a-z]+$/.test(w));
  await q(`INSERT INTO ${S}.bench_words SELECT * FROM unnest($1::text[], $2::int[])`, [entries.map((e) => e[0]), entries.map((e) => e[1])]);
}

interface IndexDef {
  name: string;
  def: string;
  constraint: boolean;
  options: string[] | null;
}

async function indexDefinitions(): Promise<IndexDef[]> {
  return q<IndexDef>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint, c.reloptions AS options
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${SCHEMA}.nchat_messages'::regclass ORDER BY c.relname`,
  );
}

async function loadTenant(): Promise<Tenant> {
  const users = (await q<{ id: string }>(`SELECT id FROM ${S}.nchat_users ORDER BY email`)).map((r) => r.id);
  const chans = await q<{ id: string; last_seq: string }>(`SELECT id, last_seq FROM ${S}.nchat_channels ORDER BY name`);
  const recentTop = new Map<string, number[]>();
  for (const c of chans) {
    const rows = await q<{ id: string }>(`SELECT id FROM ${S}.nchat_messages WHERE channel_id = $1 AND parent_id IS NULL AND deleted_at IS NULL ORDER BY id DESC LIMIT 30`, [c.id]);
    recentTop.set(c.id, rows.map((r) => Number(r.id)));
  }
  const members = new Map<string, string[]>();
  for (const m of await q<{ channel_id: string; user_id: string }>(`SELECT channel_id, user_id FROM ${S}.nchat_channel_members ORDER BY 1, 2`)) (members.get(m.channel_id) ?? members.set(m.channel_id, []).get(m.channel_id)!).push(m.user_id);
  const [max] = await q<{ m: string }>(`SELECT max(id) AS m FROM ${S}.nchat_messages`);
  return { users, channels: chans.map((c) => c.id), nextSeq: new Map(chans.map((c) => [c.id, Number(c.last_seq) + 1])), recentTop, members, nextId: Number(max!.m) + 1 };
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

/**
 * The INSERT at the heart of the room's write-behind (writeBehindStatement in
 * src/chat/post-message.ts, whose other parts move the channel's sequence and read positions
 * and check the authors, and touch no message index): plain messages, no parent.
 */
const WRITE_BEHIND = `INSERT INTO nchat_messages (id, channel_id, seq, user_id, text, client_id, created_at) OVERRIDING SYSTEM VALUE
  SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[])
  ON CONFLICT (channel_id, seq) DO NOTHING`;

/** The product's statements as text and parameters (a TenantDb stand-in that only records). */
const recorder = { sql: { query: (text: string, params: unknown[]) => ({ text, params }) } } as unknown as TenantDb;
type Recorded = { text: string; params: unknown[] };

function checkWriteBehindCopy(): void {
  const logged = [{ message: { id: 1, seq: 1, userId: 'u', text: 't', clientId: null, createdAt: 'now' } as unknown as ChatMessage, sessionVersion: 1 }] as LoggedMessage[];
  const text = (writeBehindStatement(recorder, 'c', logged) as unknown as Recorded).text.replace(/\s+/g, ' ');
  if (!text.includes('INSERT INTO nchat_messages (id, channel_id, seq, user_id, text, client_id, created_at) OVERRIDING SYSTEM VALUE') || !text.includes('ON CONFLICT (channel_id, seq) DO NOTHING'))
    console.warn('warning: writeBehindStatement no longer inserts as this bench does; update bench/message-indexes.ts');
}

interface InsertFigures {
  /** Wall time per stored row, commit included. */
  usPerRow: number;
  /** CPU time of the server process per row (its /proc stat; not disturbed by other work on the machine). */
  cpuUsPerRow: number | null;
  walBytesPerRow: number;
  /** Full-page images per 1,000 rows (the phase starts right after a checkpoint). */
  fpiPer1000: number;
  rowsPerSec: number;
  groupP50: number;
  groupP99: number;
  groupMax: number;
}

/** Groups of `size` new messages of one channel each (consecutive seqs), as a room writes them behind. */
function makeGroups(tenant: Tenant, gen: TextGenerator, size: number, rows: number, firstId: number): unknown[][] {
  const groups: unknown[][] = [];
  let id = firstId;
  for (let g = 0; g * size < rows; g++) {
    const c = tenant.channels[g % tenant.channels.length]!;
    const cols = { id: [] as number[], channel: [] as string[], seq: [] as number[], user: [] as string[], text: [] as string[], client: [] as string[], at: [] as string[] };
    const people = tenant.members.get(c) ?? tenant.users;
    for (let k = 0; k < size; k++, id++) {
      const s = tenant.nextSeq.get(c)!;
      tenant.nextSeq.set(c, s + 1);
      cols.id.push(id);
      cols.channel.push(c);
      cols.seq.push(s);
      cols.user.push(people[gen.pick(people.length)]!);
      cols.text.push(gen.message(false));
      cols.client.push(crypto.randomUUID());
      cols.at.push(new Date().toISOString());
    }
    groups.push([cols.id, cols.channel, cols.seq, cols.user, cols.text, cols.client, cols.at]);
  }
  return groups;
}

/** Removes what a phase inserted; VACUUM also merges the GIN pending list, so every phase starts alike. */
async function removeInserted(tenant: Tenant, firstId: number, savedSeq: Map<string, number>): Promise<void> {
  // Nothing refers to the rows a phase added, so the foreign keys' ON DELETE actions are
  // skipped (without thread_idx each deleted row's would scan the table for replies).
  await q(`SET session_replication_role = replica`);
  await q(`DELETE FROM nchat_messages WHERE id >= $1`, [firstId]);
  await q(`RESET session_replication_role`);
  await q(`VACUUM nchat_messages`);
  tenant.nextSeq = savedSeq;
}

let backendPid = 0;
const CLK_TCK = 100;
function backendCpuMs(): number | null {
  try {
    const fields = readFileSync(`/proc/${backendPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null; // the server runs elsewhere
  }
}

/**
 * `rows` messages in groups of `size`, one transaction (autocommit statement) each. Each
 * statement runs under EXPLAIN (ANALYZE, WAL, TIMING OFF) to read the WAL it wrote; that adds
 * no per-row timing. The phase starts with a CHECKPOINT, so full-page images are counted alike.
 */
async function measureInserts(tenant: Tenant, gen: TextGenerator, size: number, rows: number): Promise<InsertFigures> {
  const firstId = tenant.nextId;
  const savedSeq = new Map(tenant.nextSeq);
  const groups = makeGroups(tenant, gen, size, rows, firstId);
  await q('CHECKPOINT');
  const latencies: number[] = [];
  let wal = 0;
  let fpi = 0;
  const cpu0 = backendCpuMs();
  const t = performance.now();
  for (const params of groups) {
    const g = performance.now();
    const [row] = await q<{ 'QUERY PLAN': { Plan: Record<string, number> }[] }>(`EXPLAIN (ANALYZE, WAL, TIMING OFF, SUMMARY OFF, FORMAT JSON) ${WRITE_BEHIND}`, params);
    latencies.push(performance.now() - g);
    const plan = row!['QUERY PLAN'][0]!.Plan;
    wal += Number(plan['WAL Bytes'] ?? 0);
    fpi += Number(plan['WAL FPI'] ?? 0);
  }
  const elapsed = performance.now() - t;
  const cpu1 = backendCpuMs();
  const inserted = groups.length * size;
  await removeInserted(tenant, firstId, savedSeq);
  latencies.sort((a, b) => a - b);
  return {
    usPerRow: (elapsed * 1000) / inserted,
    cpuUsPerRow: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1000) / inserted,
    walBytesPerRow: wal / inserted,
    fpiPer1000: (fpi * 1000) / inserted,
    rowsPerSec: (inserted / elapsed) * 1000,
    groupP50: percentile(latencies, 50),
    groupP99: percentile(latencies, 99),
    groupMax: latencies[latencies.length - 1]!,
  };
}

interface ThroughFigures {
  usPerMessage: number;
  cpuUsPerMessage: number | null;
  walBytesPerMessage: number;
  p50: number;
  p99: number;
}

/**
 * Replies, which the room writes through (stored before they are heard of): the product's own
 * statement (insertMessageStatement: nchat_admit_message with its resend check by client id,
 * the row, the parent's reply count), one message per statement, under EXPLAIN (ANALYZE, WAL,
 * TIMING OFF) like the groups.
 */
async function measureThrough(tenant: Tenant, gen: TextGenerator, count: number): Promise<ThroughFigures> {
  const firstId = tenant.nextId;
  const savedSeq = new Map(tenant.nextSeq);
  const statements: Recorded[] = [];
  for (let i = 0; i < count; i++) {
    const c = tenant.channels[i % tenant.channels.length]!;
    const top = tenant.recentTop.get(c)!;
    const people = tenant.members.get(c)!;
    const seq = tenant.nextSeq.get(c)!;
    tenant.nextSeq.set(c, seq + 1);
    const m = { userId: people[gen.pick(people.length)]!, sessionVersion: 1, text: gen.message(false), parentId: top[gen.pick(top.length)]!, clientId: crypto.randomUUID(), mentions: [], attachmentIds: [] };
    statements.push(insertMessageStatement(recorder, c, firstId + i, seq, m) as unknown as Recorded);
  }
  await q('CHECKPOINT');
  const latencies: number[] = [];
  let wal = 0;
  const cpu0 = backendCpuMs();
  const t = performance.now();
  for (const st of statements) {
    const g = performance.now();
    const [row] = await q<{ 'QUERY PLAN': { Plan: Record<string, number> }[] }>(`EXPLAIN (ANALYZE, WAL, TIMING OFF, SUMMARY OFF, FORMAT JSON) ${st.text}`, st.params);
    latencies.push(performance.now() - g);
    wal += Number(row!['QUERY PLAN'][0]!.Plan['WAL Bytes'] ?? 0);
  }
  const elapsed = performance.now() - t;
  const cpu1 = backendCpuMs();
  const [stored] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM nchat_messages WHERE id >= $1`, [firstId]);
  if (stored!.n !== count) throw new Error(`write-through stored ${stored!.n} of ${count} replies`);
  // The parents' reply counts go back to what they were.
  await q(`UPDATE nchat_messages p SET reply_count = p.reply_count - r.n FROM (SELECT parent_id, count(*)::int AS n FROM nchat_messages WHERE id >= $1 GROUP BY parent_id) r WHERE p.id = r.parent_id`, [firstId]);
  await removeInserted(tenant, firstId, savedSeq);
  latencies.sort((a, b) => a - b);
  return {
    usPerMessage: (elapsed * 1000) / count,
    cpuUsPerMessage: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1000) / count,
    walBytesPerMessage: wal / count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** pgstatginindex (pgstattuple), if the server has it: the GIN pending list's size. */
let ginStat: string | null = null;
async function pendingListBytes(): Promise<number | null> {
  if (!ginStat) return null;
  const exists = await q(`SELECT 1 FROM pg_class WHERE relname = 'nchat_messages_search_idx' AND relnamespace = '${SCHEMA}'::regnamespace`);
  if (!exists.length) return null;
  const [r] = await q<{ pages: number }>(`SELECT pending_pages AS pages FROM ${ginStat}('${SCHEMA}.nchat_messages_search_idx')`);
  return Number(r!.pages) * 8192;
}

/** The pending list's limit for the search index: its own setting, else the server's; null when fastupdate is off. */
async function pendingListLimit(): Promise<number | null> {
  const [r] = await q<{ options: string[] | null }>(`SELECT reloptions AS options FROM pg_class WHERE relname = 'nchat_messages_search_idx' AND relnamespace = '${SCHEMA}'::regnamespace`);
  if (!r) return null;
  const opts = new Map((r.options ?? []).map((o) => o.split('=') as [string, string]));
  if (opts.get('fastupdate') === 'off' || opts.get('fastupdate') === 'false') return null;
  if (opts.has('gin_pending_list_limit')) return Number(opts.get('gin_pending_list_limit')) * 1024;
  const [g] = await q<{ kb: string }>(`SELECT setting AS kb FROM pg_settings WHERE name = 'gin_pending_list_limit'`);
  return Number(g!.kb) * 1024;
}

/**
 * Fills the GIN pending list to `fraction` of its limit with 100-row groups (the state a search
 * meets just before the next merge); returns what it inserted (removed by the caller).
 */
async function fillPendingList(tenant: Tenant, gen: TextGenerator, fraction: number): Promise<{ firstId: number; savedSeq: Map<string, number>; bytes: number | null }> {
  const firstId = tenant.nextId;
  const savedSeq = new Map(tenant.nextSeq);
  const limit = await pendingListLimit();
  let bytes = await pendingListBytes();
  if (limit === null || bytes === null) return { firstId, savedSeq, bytes };
  let id = firstId;
  for (let i = 0; i < 2000 && bytes! < fraction * limit; i++) {
    for (const params of makeGroups(tenant, gen, 100, 100, id)) await q(WRITE_BEHIND, params);
    id += 100;
    bytes = await pendingListBytes();
  }
  return { firstId, savedSeq, bytes };
}

// The product's queries, as they are in src/ and durable-objects/ (unqualified names: the
// session's search_path is the tenant schema, as in a TenantDb transaction).
// listMessages (with the visibility condition of src/chat/access.ts visibleToUser, $5 the reader).
const LIST_SQL = (ascending: boolean) => `SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m
       WHERE m.channel_id = $1 AND m.parent_id IS NULL
         AND EXISTS (SELECT 1 FROM nchat_channels vc WHERE vc.id = $1 AND (vc.kind = 'public' OR EXISTS (SELECT 1 FROM nchat_channel_members vm WHERE vm.channel_id = vc.id AND vm.user_id = $5)))
         AND ($2::bigint IS NULL OR m.id < $2::bigint) AND ($3::bigint IS NULL OR m.id > $3::bigint)
       ORDER BY m.id ${ascending ? 'ASC' : 'DESC'} LIMIT $4`;
const BY_ID_SQL = `SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m WHERE m.id = $1 AND m.channel_id = $2`;
// nchat_admit_message's resend check (tenant migration 0007).
const RESEND_SQL = `SELECT id FROM nchat_messages WHERE channel_id = $1 AND user_id = $2 AND client_id = $3 ORDER BY id LIMIT 1`;
// The two month-bounded counts of src/usage/measure.ts.
const USAGE_SQL = `SELECT (SELECT count(*) FROM (
        SELECT user_id FROM nchat_messages WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz
        UNION
        SELECT id FROM nchat_users WHERE last_seen_at >= $1::timestamptz AND last_seen_at < $2::timestamptz
      ) AS active)::int AS users_active,
    (SELECT count(*) FROM nchat_messages WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz)::int AS messages`;

function checkCopies(): void {
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  const messages = norm(readFileSync(join(ROOT, 'src/chat/messages.ts'), 'utf8'));
  // What decides the plan: the predicates and the order (listMessages is a drizzle template).
  const checks: [string, string, string[]][] = [
    ['listMessages', messages, ['FROM nchat_messages m WHERE m.channel_id = ${channelId} AND m.parent_id IS NULL', 'OR m.id < ${q.before ?? null}::bigint)', 'OR m.id > ${q.after ?? null}::bigint)', 'ORDER BY m.id ${dsql.raw(ascending']],
  ];
  for (const [name, source, parts] of checks) if (!parts.every((p) => source.includes(norm(p)))) console.warn(`warning: the ${name} query here no longer matches the product's; update bench/message-indexes.ts`);
  checkWriteBehindCopy();
}

interface QueryCase {
  name: string;
  sql: string;
  params: () => unknown[];
  runs: number;
  /** A search: measured with the GIN pending list empty and nearly full. */
  search?: boolean;
}

// Options that need a code change, measured for the record: ranking on a vector computed from
// the text (what dropping the STORED column would cost; the match itself would come from an
// expression index just as it comes from the column's), and the timeline ordered by seq
// (served by UNIQUE (channel_id, seq): what dropping channel_idx would need).
const SEARCH_RECOMPUTED_SQL = SEARCH_SQL.replace('ts_rank(m.search, query)', "ts_rank(to_tsvector('simple', m.text), query)");
const LIST_BY_SEQ_SQL = `SELECT ${MESSAGE_COLUMNS} FROM nchat_messages m
       WHERE m.channel_id = $1 AND m.parent_id IS NULL
         AND ($2::bigint IS NULL OR m.seq < (SELECT b.seq FROM nchat_messages b WHERE b.id = $2))
       ORDER BY m.seq DESC LIMIT $3`;

async function queryCases(tenant: Tenant): Promise<QueryCase[]> {
  // Words people search for: not the function words ("the", "to"), which match half the table.
  const words = async (lo: number, hi: number, n: number) =>
    (await q<{ word: string }>(`SELECT word FROM ${S}.bench_words WHERE df BETWEEN $1 AND $2 AND word <> ALL($4::text[]) ORDER BY md5(word) LIMIT $3`, [lo, hi, n, FUNCTION_WORDS])).map((r) => r.word);
  const scale = MESSAGES / 1_000_000;
  const rare = await words(Math.ceil(5 * scale), Math.ceil(50 * scale), 20);
  const medium = await words(Math.ceil(500 * scale), Math.ceil(2000 * scale), 20);
  const frequent = await words(Math.ceil(10_000 * scale), Math.ceil(40_000 * scale), 10);
  const common = await words(Math.ceil(80_000 * scale), Math.ceil(200_000 * scale), 5);
  const rand = mulberry32(99);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const users = tenant.users;
  // Busy and quiet channels alike; a deep page starts half way down the channel.
  const chans = tenant.channels;
  const mids = new Map<string, number>();
  for (const c of chans) {
    const [r] = await q<{ id: string }>(`SELECT id FROM ${S}.nchat_messages WHERE channel_id = $1 AND seq = (SELECT last_seq / 2 FROM ${S}.nchat_channels WHERE id = $1)`, [c]);
    mids.set(c, Number(r?.id ?? 0));
  }
  const lastSeq = new Map((await q<{ id: string; last_seq: string }>(`SELECT id, last_seq FROM ${S}.nchat_channels`)).map((r) => [r.id, Number(r.last_seq)]));
  const threads = (await q<{ id: string }>(`SELECT id FROM ${S}.nchat_messages WHERE reply_count > 0 ORDER BY reply_count DESC, id LIMIT 200`)).map((r) => Number(r.id));
  const resends = await q<{ channel_id: string; user_id: string; client_id: string; id: string }>(
    `SELECT channel_id, user_id, client_id, id FROM ${S}.nchat_messages WHERE client_id IS NOT NULL AND id % 997 = 0 LIMIT 200`,
  );
  const ids = resends.map((r) => ({ id: Number(r.id), channel: r.channel_id }));
  const [month] = await q<{ start: string; end: string }>(`SELECT date_trunc('month', max(created_at)) AS start, date_trunc('month', max(created_at)) + interval '1 month' AS "end" FROM ${S}.nchat_messages`);
  const search = (terms: () => string) => () => [terms(), pick(users), 21, 0];
  console.log(`search words: rare ${rare.slice(0, 3).join(', ')}…; medium ${medium.slice(0, 3).join(', ')}…; frequent ${frequent.slice(0, 3).join(', ')}…; common ${common.join(', ')}`);
  const heavy = Math.max(10, Math.round(RUNS / 10));
  return [
    { name: 'search, rare word (5-50 hits)', sql: SEARCH_SQL, params: search(() => pick(rare)), runs: RUNS, search: true },
    { name: 'search, medium word (500-2k hits)', sql: SEARCH_SQL, params: search(() => pick(medium)), runs: RUNS, search: true },
    { name: 'search, two words (AND)', sql: SEARCH_SQL, params: search(() => `${pick(medium)} ${pick(frequent)}`), runs: RUNS, search: true },
    { name: 'search, phrase', sql: SEARCH_SQL, params: search(() => `"${pick(['deploy failed', 'build passing', 'customer meeting', 'review the', 'database migration'])}"`), runs: Math.max(20, Math.round(RUNS / 4)), search: true },
    { name: 'search, frequent word (10k-40k hits)', sql: SEARCH_SQL, params: search(() => pick(frequent)), runs: heavy, search: true },
    { name: 'search, common word (80k-200k hits)', sql: SEARCH_SQL, params: search(() => pick(common)), runs: heavy, search: true },
    { name: 'listMessages, newest page', sql: LIST_SQL(false), params: () => { const c = pick(chans); return [c, null, null, 51, pick(tenant.members.get(c)!)]; }, runs: RUNS },
    { name: 'listMessages, page before a cursor', sql: LIST_SQL(false), params: () => { const c = pick(chans); return [c, mids.get(c), null, 51, pick(tenant.members.get(c)!)]; }, runs: RUNS },
    { name: 'listMessages, page after a cursor', sql: LIST_SQL(true), params: () => { const c = pick(chans); return [c, null, mids.get(c), 51, pick(tenant.members.get(c)!)]; }, runs: RUNS },
    { name: 'thread (listThread)', sql: THREAD_SQL, params: () => [pick(threads), null, 51], runs: RUNS },
    { name: 'replay by seq (last 100)', sql: REPLAY_SQL, params: () => { const c = pick(chans); return [c, Math.max(0, lastSeq.get(c)! - 100), lastSeq.get(c)!]; }, runs: RUNS },
    { name: 'resend check by client id (hit)', sql: RESEND_SQL, params: () => { const r = pick(resends); return [r.channel_id, r.user_id, r.client_id]; }, runs: RUNS },
    { name: 'resend check by client id (miss)', sql: RESEND_SQL, params: () => [pick(chans), pick(users), crypto.randomUUID()], runs: RUNS },
    {
      name: 'resend check in nchat_admit_message (miss)',
      sql: `SELECT nchat_admit_message($1::uuid, $2::uuid, 1, NULL, '{}'::uuid[], $3::text)`,
      params: () => { const c = pick(chans); return [c, pick(tenant.members.get(c)!), crypto.randomUUID()]; },
      runs: RUNS,
    },
    { name: 'message by id', sql: BY_ID_SQL, params: () => { const r = pick(ids); return [r.id, r.channel]; }, runs: RUNS },
    { name: 'usage: the month\'s counts', sql: USAGE_SQL, params: () => [month!.start, month!.end], runs: heavy },
    { name: '(option) search, frequent word, ranked on to_tsvector(text)', sql: SEARCH_RECOMPUTED_SQL, params: search(() => pick(frequent)), runs: heavy },
    { name: '(option) timeline page by seq', sql: LIST_BY_SEQ_SQL, params: () => { const c = pick(chans); return [c, rand() < 0.5 ? null : mids.get(c), 51]; }, runs: RUNS },
  ];
}

interface QueryFigures {
  p50: number;
  p99: number;
  indexes: string;
}

async function measureQuery(c: QueryCase): Promise<QueryFigures> {
  const [plan] = await q<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${c.sql}`, c.params());
  const ours = new Set((await indexDefinitions()).map((d) => d.name));
  const used = new Set<string>();
  const walk = (node: Record<string, unknown>) => {
    if (typeof node['Index Name'] === 'string' && ours.has(node['Index Name'] as string)) used.add(node['Index Name'] as string);
    if (node['Relation Name'] === 'nchat_messages' && node['Node Type'] === 'Seq Scan') used.add('(seq scan)');
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
  for (let i = 0; i < Math.min(10, c.runs); i++) await q(c.sql, c.params());
  const samples: number[] = [];
  for (let i = 0; i < c.runs; i++) {
    const params = c.params();
    const t = performance.now();
    await q(c.sql, params);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), indexes: [...used].map((n) => n.replace(/^nchat_messages_/, '')).join(', ') };
}

/**
 * Sizes as freshly built: the insert phases add and remove rows, which leaves free pages in
 * the indexes, so an index of the migrations' set is reported at its size before any phase
 * (`initial`) and one a variant creates at its size right after it was built.
 */
async function sizes(initial?: Map<string, number>): Promise<Map<string, number>> {
  const rows = await q<{ name: string; def: string; bytes: string }>(
    `SELECT 'table (heap + toast)' AS name, '' AS def, pg_table_size('${SCHEMA}.nchat_messages') AS bytes
     UNION ALL SELECT c.relname, pg_get_indexdef(c.oid), pg_relation_size(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${SCHEMA}.nchat_messages'::regclass`,
  );
  return new Map(rows.map((r) => {
    const key = r.name.replace(/^nchat_messages_/, '');
    const before = initial?.get(`${key}\n${r.def}`);
    return [key, before ?? Number(r.bytes)];
  }));
}

async function initialSizes(): Promise<Map<string, number>> {
  const rows = await q<{ name: string; def: string; bytes: string }>(
    `SELECT 'table (heap + toast)' AS name, '' AS def, pg_table_size('${SCHEMA}.nchat_messages') AS bytes
     UNION ALL SELECT c.relname, pg_get_indexdef(c.oid), pg_relation_size(c.oid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '${SCHEMA}.nchat_messages'::regclass`,
  );
  return new Map(rows.map((r) => [`${r.name.replace(/^nchat_messages_/, '')}\n${r.def}`, Number(r.bytes)]));
}

// ---------------------------------------------------------------------------------------------
// Variants: from the migrations' index set to a variant and back
// ---------------------------------------------------------------------------------------------

async function restore(original: IndexDef[]): Promise<void> {
  const now = await indexDefinitions();
  for (const d of now) if (!original.some((o) => o.name === d.name && o.def === d.def)) await q(`DROP INDEX ${S}.${d.name}`);
  await q(`SET maintenance_work_mem = '512MB'`);
  for (const o of original) {
    const d = now.find((n) => n.name === o.name && n.def === o.def);
    if (!d) await q(o.def);
    else if (JSON.stringify(d.options) !== JSON.stringify(o.options)) {
      await q(`ALTER INDEX ${S}.${o.name} RESET (fastupdate, gin_pending_list_limit)`);
      if (o.options?.length) await q(`ALTER INDEX ${S}.${o.name} SET (${o.options.join(', ')})`);
    }
  }
  await q(`RESET maintenance_work_mem`);
}

async function applyVariant(original: IndexDef[], statements: string[]): Promise<void> {
  await restore(original);
  await q(`SET maintenance_work_mem = '512MB'`);
  for (const st of statements) await q(st);
  await q(`RESET maintenance_work_mem`);
  // As after any migration on a live tenant: vacuumed (the GIN pending list merged) and analysed.
  await q(`VACUUM ANALYZE nchat_messages`);
}


// ---------------------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mb = (b: number | undefined) => (b === undefined ? '-' : (b / 1048576).toFixed(1));
const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(0)} %`;

try {
  checkCopies();
  const gen = new TextGenerator(42);
  if (!(REUSE && (await schemaReady()))) await build(gen);
  else {
    log(`reusing ${SCHEMA} (${MESSAGES.toLocaleString('en')} messages)`);
    for (let i = 0; i < 1000; i++) gen.message(false);
  }
  await q(`SET search_path TO ${S}, public`);
  backendPid = Number((await q<{ pid: number }>(`SELECT pg_backend_pid() AS pid`))[0]!.pid);
  try {
    await q(`CREATE EXTENSION IF NOT EXISTS pgstattuple SCHEMA ${S}`);
  } catch {
    /* not on this server: the search is measured without filling the pending list */
  }
  const [gs] = await q<{ schema: string }>(`SELECT n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'pgstatginindex' LIMIT 1`);
  ginStat = gs ? `"${gs.schema}".pgstatginindex` : null;
  const original = await indexDefinitions();
  await restore(original);
  const initial = await initialSizes();
  const tenant = await loadTenant();
  const cases = await queryCases(tenant);
  const variants = variantList();
  if (variants.length === 1) console.log('(no migrations/tenant/0008_message_indexes.sql and no VARIANTS: measuring the current index set only)');
  const [stored] = await q<{ vector: number; text: number; rows: number }>(`SELECT avg(pg_column_size(search))::float AS vector, avg(pg_column_size(text))::float AS text, count(*)::int AS rows FROM nchat_messages`);

  interface Result {
    inserts: Map<number, InsertFigures[]>;
    through: ThroughFigures[];
    queries: Map<string, QueryFigures[]>;
    sizes?: Map<string, number>;
    indexes: string[];
    pendingBytes: number[];
    pendingLimit: number | null;
  }
  const results = new Map<string, Result>(variants.map((v) => [v.name, { inserts: new Map(), through: [], queries: new Map(), indexes: [], pendingBytes: [], pendingLimit: null }]));
  const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of round % 2 === 1 ? variants : [...variants].reverse()) {
      log(`round ${round}/${ROUNDS}: ${v.name}`);
      await applyVariant(original, v.statements);
      const r = results.get(v.name)!;
      r.sizes ??= await sizes(initial);
      r.indexes = (await indexDefinitions()).map((d) => d.def.replace(/ ON \S+\.nchat_messages/, '').replace(/^CREATE (UNIQUE )?INDEX /, '$1'));
      // Every query with the pending list empty (as after a merge).
      for (const c of cases) push(r.queries, c.search ? `${c.name}, pending list empty` : c.name, await measureQuery(c));
      log(`  queries: ${cases.map((c) => `${c.name.split(' (')[0]!.replace('search, ', '')} ${r.queries.get(c.search ? `${c.name}, pending list empty` : c.name)!.at(-1)!.p50.toFixed(1)}`).join('; ')}`);
      for (const size of GROUP_SIZES) {
        const f = await measureInserts(tenant, gen, size, INSERT_ROWS);
        push(r.inserts, size, f);
        log(`  insert ${size}/group: ${f.usPerRow.toFixed(1)} µs/row (server CPU ${f.cpuUsPerRow?.toFixed(1) ?? '-'}), ${Math.round(f.walBytesPerRow)} WAL bytes/row, group p99 ${f.groupP99.toFixed(1)} ms, worst ${f.groupMax.toFixed(0)} ms`);
      }
      if (THROUGH > 0) {
        const f = await measureThrough(tenant, gen, THROUGH);
        r.through.push(f);
        log(`  write-through replies: ${f.usPerMessage.toFixed(1)} µs/message (server CPU ${f.cpuUsPerMessage?.toFixed(1) ?? '-'}), ${Math.round(f.walBytesPerMessage)} WAL bytes/message, p99 ${f.p99.toFixed(1)} ms`);
      }
      // Searches again just before the next merge: the pending list ~90 % full.
      const fill = await fillPendingList(tenant, gen, 0.9);
      r.pendingLimit = await pendingListLimit();
      if (fill.bytes !== null && r.pendingLimit !== null) {
        r.pendingBytes.push(fill.bytes);
        for (const c of cases.filter((c) => c.search)) push(r.queries, `${c.name}, pending list full`, await measureQuery(c));
        log(`  searches with ${mb(fill.bytes)} MB pending: ${cases.filter((c) => c.search).map((c) => r.queries.get(`${c.name}, pending list full`)!.at(-1)!.p50.toFixed(1)).join('; ')}`);
      }
      await removeInserted(tenant, fill.firstId, fill.savedSeq);
    }
  }

  const ablation: { name: string; f: InsertFigures; bytes: number }[] = [];
  if (ABLATION) {
    const size = GROUP_SIZES[GROUP_SIZES.length - 1]!;
    const secondary = original.filter((o) => !o.constraint);
    const allSizes = results.get('current')!.sizes!;
    const runs: { name: string; drop: string[] }[] = [
      { name: '(the current indexes)', drop: [] },
      ...secondary.map((d) => ({ name: `without ${d.name.replace(/^nchat_messages_/, '')}`, drop: [d.name] })),
      { name: '(only the primary key and UNIQUE (channel_id, seq))', drop: secondary.map((d) => d.name) },
    ];
    for (const a of runs) {
      log(`ablation: ${a.name}`);
      await applyVariant(original, a.drop.map((n) => `DROP INDEX ${S}.${n}`));
      ablation.push({ name: a.name, f: await measureInserts(tenant, gen, size, INSERT_ROWS), bytes: a.drop.reduce((t, n) => t + (allSizes.get(n.replace(/^nchat_messages_/, '')) ?? 0), 0) });
    }
    await restore(original);
    await q(`VACUUM ANALYZE nchat_messages`);
  }

  // ------------------------------------------------------------------------------------------
  const names = variants.map((v) => v.name);
  const [server] = await q<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  console.log(`\nnchat_messages with ${MESSAGES.toLocaleString('en')} messages (${CHANNELS} channels, ${USERS} users), PostgreSQL ${server!.v}; ${ROUNDS} interleaved round(s), median of rounds\n`);
  for (const v of variants) console.log(`${v.name}:\n  ${results.get(v.name)!.indexes.join('\n  ')}\n`);
  const vs = names.slice(1).map((n) => `${n} vs current`);

  /** One row per metric: each variant's median over rounds, then each variant against the first. */
  function medianRows<F>(prefix: string, metrics: [string, (f: F) => number | null, number][], figuresOf: (variant: string) => F[]): (string | number)[][] {
    return metrics.map(([label, get, digits]) => {
      const values = names.map((n) => {
        const xs = figuresOf(n).map(get);
        return xs.some((x) => x === null) ? NaN : median(xs as number[]);
      });
      return [`${prefix}: ${label}`, ...values.map((x) => (Number.isNaN(x) ? '-' : x.toFixed(digits))), ...values.slice(1).map((x) => (Number.isNaN(x) ? '-' : pct(values[0]!, x)))];
    });
  }

  const insertRows: (string | number)[][] = [];
  for (const size of GROUP_SIZES) {
    const metrics: [string, (f: InsertFigures) => number | null, number][] = [
      ['µs per row (wall, commit included)', (f) => f.usPerRow, 1],
      ['server CPU µs per row', (f) => f.cpuUsPerRow, 1],
      ['WAL bytes per row', (f) => f.walBytesPerRow, 0],
      ['full-page images per 1,000 rows', (f) => f.fpiPer1000, 1],
      ['rows/s', (f) => f.rowsPerSec, 0],
      ['group p50 ms', (f) => f.groupP50, 1],
      ['group p99 ms', (f) => f.groupP99, 1],
      ['group worst ms', (f) => f.groupMax, 1],
    ];
    insertRows.push(...medianRows(`${size}/group`, metrics, (n) => results.get(n)!.inserts.get(size)!));
  }
  if (THROUGH > 0) {
    const metrics: [string, (f: ThroughFigures) => number | null, number][] = [
      ['µs per message (wall)', (f) => f.usPerMessage, 1],
      ['server CPU µs per message', (f) => f.cpuUsPerMessage, 1],
      ['WAL bytes per message', (f) => f.walBytesPerMessage, 0],
      ['statement p50 ms', (f) => f.p50, 2],
      ['statement p99 ms', (f) => f.p99, 2],
    ];
    insertRows.push(...medianRows('write-through reply', metrics, (n) => results.get(n)!.through));
  }
  printTable([`inserts (groups: ${INSERT_ROWS.toLocaleString('en')} rows a phase; replies: ${THROUGH.toLocaleString('en')})`, ...names, ...vs], insertRows);

  console.log('');
  const queryRows: (string | number)[][] = [];
  const rowNames = cases.flatMap((c) => (c.search ? [`${c.name}, pending list empty`, `${c.name}, pending list full`] : [c.name]));
  for (const rn of rowNames) {
    const figures = names.map((n) => results.get(n)!.queries.get(rn));
    if (figures.every((f) => !f)) continue;
    const cell = (fs: QueryFigures[] | undefined) => (fs ? `${median(fs.map((f) => f.p50)).toFixed(2)} / ${median(fs.map((f) => f.p99)).toFixed(2)}` : '-');
    queryRows.push([rn, ...figures.map(cell), ...figures.map((fs) => fs?.at(-1)!.indexes ?? '-')]);
  }
  printTable(['query: p50 / p99 ms', ...names, ...names.map((n) => `index (${n})`)], queryRows);
  for (const n of names) {
    const r = results.get(n)!;
    if (r.pendingBytes.length) console.log(`${n}: the GIN pending list "full" = ${mb(median(r.pendingBytes))} MB (limit ${mb(r.pendingLimit ?? undefined)} MB)`);
  }

  console.log('');
  const sizeNames = [...new Set(names.flatMap((n) => [...results.get(n)!.sizes!.keys()]))];
  const perMessage = (b: number | undefined) => (b === undefined ? '-' : Math.round(b / stored!.rows));
  const sizeRows = sizeNames.map((s) => [s, ...names.flatMap((n) => [mb(results.get(n)!.sizes!.get(s)), perMessage(results.get(n)!.sizes!.get(s))])]);
  const indexTotal = (n: string) => [...results.get(n)!.sizes!.entries()].filter(([k]) => !k.startsWith('table')).reduce((a, [, b]) => a + b, 0);
  sizeRows.push(['all indexes', ...names.flatMap((n) => [mb(indexTotal(n)), perMessage(indexTotal(n))])]);
  printTable(['size', ...names.flatMap((n) => [`${n} MB`, `${n} bytes/message`])], sizeRows);
  console.log(`\nthe STORED search vector: ${stored!.vector.toFixed(0)} bytes a message on average (text: ${stored!.text.toFixed(0)} bytes), ${mb(stored!.vector * stored!.rows)} MB of the table`);

  if (ablation.length) {
    console.log('');
    const all = ablation[0]!.f;
    printTable(
      [`insert ${GROUP_SIZES[GROUP_SIZES.length - 1]}/group, one run each`, 'µs/row', 'server CPU µs/row', 'WAL bytes/row', 'saves µs/row', 'saves CPU µs/row', 'saves WAL bytes/row', 'saves MB'],
      ablation.map((a) => [
        a.name,
        a.f.usPerRow.toFixed(1),
        a.f.cpuUsPerRow?.toFixed(1) ?? '-',
        a.f.walBytesPerRow.toFixed(0),
        a === ablation[0] ? '' : (all.usPerRow - a.f.usPerRow).toFixed(1),
        a === ablation[0] || a.f.cpuUsPerRow === null || all.cpuUsPerRow === null ? '' : (all.cpuUsPerRow - a.f.cpuUsPerRow).toFixed(1),
        a === ablation[0] ? '' : (all.walBytesPerRow - a.f.walBytesPerRow).toFixed(0),
        a === ablation[0] ? '' : mb(a.bytes),
      ]),
    );
  }
} finally {
  if (!KEEP) await q(`DROP SCHEMA IF EXISTS ${S} CASCADE`).catch(() => undefined);
  await client.end();
}
