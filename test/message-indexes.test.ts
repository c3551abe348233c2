/**
 * The message table's indexes after tenant migration 0008 (docs/message-storage.md): the
 * resend check by client id runs on a hash index of the client id, the old three-column b-tree
 * is gone, and nchat_admit_message still refuses a stored (channel, author, client id) and
 * still lets the same client id through for another author or channel.
 */
import { describe, expect, it } from 'vitest';
import { chatWorkspace } from './support/chat';
import { database } from './support/tenants';

async function indexes(schema: string): Promise<Record<string, string>> {
  const rows = (await database().sql.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'nchat_messages'`, [schema])) as {
    indexname: string;
    indexdef: string;
  }[];
  return Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
}

/** nchat_admit_message as the tenant's statements call it (search_path on the tenant's schema). */
async function admit(schema: string, channelId: string, userId: string, clientId: string): Promise<{ ok: true } | { code: string; detail?: string }> {
  const db = database();
  try {
    await db.transaction([
      db.sql.query(`SELECT set_config('search_path', $1, true)`, [`"${schema}", public`]),
      db.sql.query(`SELECT nchat_admit_message($1::uuid, $2::uuid, 1, NULL, '{}'::uuid[], $3::text)`, [channelId, userId, clientId]),
    ]);
    return { ok: true };
  } catch (err) {
    const e = err as { code?: string; detail?: string };
    return { code: String(e.code), detail: e.detail };
  }
}

describe('nchat_messages indexes (tenant migration 0008)', () => {
  it('the resend check has a hash index on client_id; the (channel_id, user_id, client_id) b-tree is gone; the rest stay', async () => {
    const w = await chatWorkspace();
    const idx = await indexes(w.schema);
    expect(idx.nchat_messages_client_hash_idx).toMatch(/USING hash \(client_id\)/);
    expect(idx.nchat_messages_client_idx).toBeUndefined();
    expect(Object.keys(idx).sort()).toEqual([
      'nchat_messages_channel_id_seq_key',
      'nchat_messages_channel_idx',
      'nchat_messages_client_hash_idx',
      'nchat_messages_created_idx',
      'nchat_messages_pkey',
      'nchat_messages_search_idx',
      'nchat_messages_thread_idx',
    ]);
  });

  it('a stored (channel, author, client id) is refused with the stored id; another author, channel or client id is not', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('lounge');
    const other = await w.owner.channel('other');
    const first = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'once', clientId: 'resend-1' });
    expect(first.status).toBe(201);
    const bob = await w.user('member');
    await bob.join(ch.id);

    expect(await admit(w.schema, ch.id, w.owner.id, 'resend-1')).toEqual({ code: 'NC208', detail: String(first.body.message.id) });
    expect(await admit(w.schema, ch.id, w.owner.id, 'resend-2')).toEqual({ ok: true });
    expect(await admit(w.schema, ch.id, bob.id, 'resend-1')).toEqual({ ok: true });
    expect(await admit(w.schema, other.id, w.owner.id, 'resend-1')).toEqual({ ok: true });
  });

  it('the resend lookup is an index scan on the hash index', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('lounge');
    const db = database();
    // Enough rows that a plan without an index would not be the cheapest.
    await db.sql.query(
      `INSERT INTO "${w.schema}".nchat_messages (channel_id, seq, user_id, text, client_id)
       SELECT $1::uuid, 1000 + g, $2::uuid, 'filler ' || g, 'c-' || g FROM generate_series(1, 2000) g`,
      [ch.id, w.owner.id],
    );
    const [, , plan] = await db.transaction([
      db.sql.query(`SELECT set_config('search_path', $1, true)`, [`"${w.schema}", public`]),
      db.sql.query(`ANALYZE nchat_messages`),
      db.sql.query(`EXPLAIN SELECT id FROM nchat_messages WHERE channel_id = $1 AND user_id = $2 AND client_id = $3 ORDER BY id LIMIT 1`, [ch.id, w.owner.id, 'c-7']),
    ]);
    expect(plan!.map((r) => String(r['QUERY PLAN'])).join('\n')).toContain('nchat_messages_client_hash_idx');
  });
});
