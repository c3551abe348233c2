/**
 * Realtime edges found in review (issue 11): a message resent after its answer was lost is not
 * stored twice; a page of another site cannot open a room's or a person's socket with the
 * browser's cookie (cross-site WebSocket hijacking).
 */
import { describe, expect, it } from 'vitest';
import { chatWorkspace, openSocket, untilInPostgres } from './support/chat';
import { database, tenantUrl } from './support/tenants';

async function stored(schema: string, channelId: string): Promise<{ text: string; client_id: string | null }[]> {
  return (await database().sql.query(`SELECT text, client_id FROM "${schema}".nchat_messages WHERE channel_id = $1 ORDER BY seq`, [channelId])) as { text: string; client_id: string | null }[];
}

describe('a resend of a stored message', () => {
  it('over REST: the same clientId again answers 201 with the stored message; one row', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('lounge');
    const first = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'only once', clientId: 'c-42' });
    const again = await w.owner.post(`/api/channels/${ch.id}/messages`, { text: 'only once', clientId: 'c-42' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.message).toEqual(first.body.message);
    expect(await stored(w.schema, ch.id)).toEqual([{ text: 'only once', client_id: 'c-42' }]);
    // Another person's clientId, or another channel, is another message.
    const bob = await w.user('member');
    await bob.join(ch.id);
    expect((await bob.post(`/api/channels/${ch.id}/messages`, { text: 'mine', clientId: 'c-42' })).body.message.id).not.toBe(first.body.message.id);
  });

  it('over a socket: the sender hears the stored message again (same id and seq); nobody hears it twice; one row', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const ch = await w.owner.channel('lounge');
    await bob.join(ch.id);
    const a = await w.owner.socket(ch.id);
    const b = await bob.socket(ch.id);
    await a.next((f) => f.type === 'ready');
    await b.next((f) => f.type === 'ready');
    a.send({ type: 'message', text: 'hello', clientId: 'x-1' });
    const original = await a.next((f) => f.type === 'message.created' && f.message.clientId === 'x-1');
    a.send({ type: 'message', text: 'hello', clientId: 'x-1' });
    const answer = await a.next((f) => f.type === 'message.created' && f.message.clientId === 'x-1');
    expect(answer.message).toEqual(original.message);
    // Bob: exactly one.
    b.send({ type: 'ping' });
    await b.next((f) => f.type === 'pong');
    expect(b.frames.filter((f) => f.type === 'message.created')).toHaveLength(1);
    // Written behind its broadcast: once Postgres has it, it has it once.
    await untilInPostgres(w.schema, ch.id, original.message.seq);
    expect(await stored(w.schema, ch.id)).toHaveLength(1);
    a.close();
    b.close();
  });
});

describe('cross-site WebSocket hijacking', () => {
  it('an upgrade with the cookie from another origin is refused (403); from the workspace itself it opens; an API client with a token may connect from anywhere', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('lounge');
    const cookie = `nchat_session=${w.owner.token}`;
    const own = new URL(tenantUrl(w.t.slug, '/')).origin;
    for (const path of [`/api/channels/${ch.id}/ws`, '/api/me/stream']) {
      const foreign = await openSocket(tenantUrl(w.t.slug, path), { cookie, origin: 'http://evil.nchat.test' });
      expect(foreign.status, path).toBe(403);
      expect(foreign.body.error.code).toBe('cross_origin_request');
      const same = await openSocket(tenantUrl(w.t.slug, path), { cookie, origin: own });
      expect(same.status, path).toBe(101);
      same.socket!.close();
      const api = await openSocket(tenantUrl(w.t.slug, path), { authorization: `Bearer ${w.owner.token}`, origin: 'http://elsewhere.example' });
      expect(api.status, path).toBe(101);
      api.socket!.close();
    }
  });
});
