/**
 * The room's durable log (issue 14, docs/chat.md): a plain message sent over a socket is durable
 * in the ChatRoom's own SQLite storage when it is broadcast and reaches Postgres behind it, in
 * order, once, idempotently. Postgres going away does not stop the room; nothing is lost or
 * duplicated when it comes back, nor when the room restarts with messages Postgres lacks; a
 * reconnecting socket gets what Postgres does not have yet from the log.
 */
import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ChatRoom } from '../durable-objects/chat-room';
import { chatWorkspace, range, sleep, untilInPostgres, waitForSeqs, type ChatWorkspace, type TestSocket } from './support/chat';
import { connectionString, envWith, gatewayMaxInFlight, setGatewayLatency } from './support/gateway';
import { database } from './support/tenants';

/** A gateway address nothing answers on: Postgres is "down" for the room that uses it. */
const UNREACHABLE = 'http://127.0.0.1:9/sql';

function roomStub(w: ChatWorkspace, channelId: string): DurableObjectStub<ChatRoom> {
  const ns = env.CHAT_ROOM as unknown as DurableObjectNamespace<ChatRoom>;
  return ns.get(ns.idFromName(`${w.t.id}:${channelId}`));
}

/**
 * Points the room's own env (not the request's) at a database that does not answer, or back.
 * The unreachable endpoint gets a connection (host) of its own: the driver routes by host, for
 * the whole isolate, and the rest of the test must keep its database.
 */
async function roomDatabase(stub: DurableObjectStub<ChatRoom>, endpoint: string | undefined): Promise<void> {
  const down = endpoint ? { DATABASE_URL: connectionString(`down-${crypto.randomUUID().slice(0, 8)}`), NEON_FETCH_ENDPOINT: endpoint } : {};
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: Env }).env = envWith(down);
  });
}

/** Gives the room a connection (host) of its own through the real gateway, so the gateway can slow it down and count it alone. */
async function roomConnection(stub: DurableObjectStub<ChatRoom>, name: string): Promise<string> {
  const connection = connectionString(name);
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as { env: Env }).env = envWith({ DATABASE_URL: connection });
  });
  return connection;
}

async function storedRows(schema: string, channelId: string) {
  return (await database().sql.query(`SELECT id, seq, text, client_id, created_at FROM "${schema}".nchat_messages WHERE channel_id = $1 ORDER BY seq`, [channelId])) as {
    id: string;
    seq: string;
    text: string;
    client_id: string | null;
  }[];
}

/** Sends `word n` for each n of `seqs` (each message's sequence number, in a fresh channel) and waits until the socket heard them all. */
async function say(socket: TestSocket, word: string, seqs: number[]): Promise<void> {
  for (const n of seqs) socket.send({ type: 'message', text: `${word} ${n}`, clientId: `${word}-${n}` });
  await waitForSeqs(socket, seqs);
}

async function pendingInLog(stub: DurableObjectStub<ChatRoom>): Promise<number> {
  return runInDurableObject(stub, (_i, state) => {
    const stored = state.storage.sql.exec<{ value: string }>("SELECT value FROM room_meta WHERE key = 'stored_seq'").toArray()[0];
    return state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM room_log WHERE seq > ?', Number(stored?.value ?? 0)).one().n;
  });
}

describe('the room log', () => {
  it('a socket message is broadcast with its final id and sequence, and Postgres gets exactly that, once', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('logged');
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    await say(socket, 'logged', range(20));
    const heard = socket.frames.filter((f) => f.type === 'message.created').map((f) => f.message);
    await untilInPostgres(w.schema, ch.id, 20);
    const rows = await storedRows(w.schema, ch.id);
    expect(rows.map((r) => [Number(r.id), Number(r.seq), r.text, r.client_id])).toEqual(heard.map((m) => [m.id, m.seq, m.text, m.clientId]));
    // Ids grow with the sequence (pages are by id), and REST shows each message as it was heard.
    expect([...heard.map((m) => m.id)].sort((a, b) => a - b)).toEqual(heard.map((m) => m.id));
    const listed = (await w.owner.get(`/api/channels/${ch.id}/messages?limit=100`)).body.messages.reverse();
    expect(listed).toEqual(heard);
    expect((await w.owner.get(`/api/channels/${ch.id}`)).body.channel.lastSeq).toBe(20);
    socket.close();
  });

  it('when round trips are slow, two groups are in flight at once, and Postgres still commits them in order, each message once', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('pipeline');
    const stub = roomStub(w, ch.id);
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    const connection = await roomConnection(stub, `slow-${crypto.randomUUID().slice(0, 8)}`);
    // 20–120 ms before each of the room's requests runs: long round trips (the pipeline starts
    // at 50 ms), and a group sent second may reach Postgres first (refused for order, resent).
    await setGatewayLatency(connection, 20, 120);
    try {
      // Sixty messages every 25 ms keep the room writing while answers are slow.
      for (let burst = 0; burst < 6; burst++) {
        for (const n of range(60, burst * 60 + 1)) socket.send({ type: 'message', text: `piped ${n}`, clientId: `piped-${n}` });
        await sleep(25);
      }
      await waitForSeqs(socket, range(360));
      await untilInPostgres(w.schema, ch.id, 360);
    } finally {
      await setGatewayLatency(connection, 0, 0);
    }
    expect(await gatewayMaxInFlight(connection)).toBeGreaterThanOrEqual(2);
    const heard = socket.frames.filter((f) => f.type === 'message.created').map((f) => f.message);
    const rows = await storedRows(w.schema, ch.id);
    expect(rows.map((r) => [Number(r.id), Number(r.seq), r.text])).toEqual(heard.map((m) => [m.id, m.seq, m.text]));
    expect(rows.map((r) => Number(r.seq))).toEqual(range(360));
    expect(await pendingInLog(stub)).toBe(0);
    socket.close();
  });

  it('Postgres refuses a group sent behind another until that one has committed (NC409), and writes nothing of it', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('order');
    const { sql } = database();
    const [owner] = (await sql.query(`SELECT id FROM "${w.schema}".nchat_users LIMIT 1`)) as { id: string }[];
    // A group of messages 6.. sent behind one (1..5) that has not committed: the whole transaction fails.
    // (As the room runs it: in the tenant's schema.)
    const inSchema = () => sql.query(`SELECT set_config('search_path', $1, true)`, [`"${w.schema}", public`]);
    const refused = sql.transaction([
      inSchema(),
      sql.query(`SELECT nchat_lock_channel_after($1::uuid, $2::bigint)`, [ch.id, 5]),
      sql.query(`INSERT INTO "${w.schema}".nchat_messages (channel_id, seq, user_id, text) VALUES ($1, 6, $2, 'too early')`, [ch.id, owner!.id]),
    ]);
    await expect(refused).rejects.toMatchObject({ code: 'NC409' });
    // The first group in flight (no predecessor) and one whose predecessor is in pass.
    const [, first, next] = (await sql.transaction([
      inSchema(),
      sql.query(`SELECT nchat_lock_channel_after($1::uuid, NULL) AS s`, [ch.id]),
      sql.query(`SELECT nchat_lock_channel_after($1::uuid, 0) AS s`, [ch.id]),
    ])) as { s: string }[][];
    expect([Number(first![0]!.s), Number(next![0]!.s)]).toEqual([0, 0]);
    expect(await storedRows(w.schema, ch.id)).toEqual([]);
  });

  it('with Postgres unreachable the room keeps taking messages; when it is back every one arrives, in order, none twice', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('outage');
    const stub = roomStub(w, ch.id);
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    // A room that has been busy holds ids ahead (reserved in Postgres): as many as it can take during an outage.
    await say(socket, 'before', range(40));
    await untilInPostgres(w.schema, ch.id, 40);

    await roomDatabase(stub, UNREACHABLE);
    await say(socket, 'during', range(25, 41));
    expect(socket.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect((await storedRows(w.schema, ch.id)).length).toBe(40);
    expect(await pendingInLog(stub)).toBe(25);

    // A resend during the outage is recognised from the log: the sender hears the stored one.
    socket.send({ type: 'message', text: 'during 45', clientId: 'during-45' });
    const heardD45 = () => socket.frames.filter((f) => f.type === 'message.created' && f.message.clientId === 'during-45');
    for (let i = 0; heardD45().length < 2 && i < 200; i++) await sleep(10);
    expect(heardD45().map((f) => f.message.seq)).toEqual([45, 45]);

    await roomDatabase(stub, undefined);
    await runDurableObjectAlarm(stub);
    await untilInPostgres(w.schema, ch.id, 65);
    const rows = await storedRows(w.schema, ch.id);
    expect(rows.map((r) => Number(r.seq))).toEqual(range(65));
    expect(rows.map((r) => r.text)).toEqual([...range(40).map((i) => `before ${i}`), ...range(25, 41).map((i) => `during ${i}`)]);
    expect(await pendingInLog(stub)).toBe(0);
    socket.close();
  });

  it('a room restarted with messages Postgres lacks writes them from its log: nothing lost, nothing twice', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('restart');
    const stub = roomStub(w, ch.id);
    const socket = await w.owner.socket(ch.id);
    await socket.next((f) => f.type === 'ready');
    await roomDatabase(stub, UNREACHABLE);
    await say(socket, 'kept', range(10));
    expect((await storedRows(w.schema, ch.id)).length).toBe(0);
    // A new instance on the same storage is what an evicted or restarted object is: nothing in
    // memory, only what was stored. Its alarm (set when the write-behind started) resumes.
    await runInDurableObject(stub, async (_instance, state) => {
      const fresh = new ChatRoom(state, env);
      await fresh.alarm();
    });
    await untilInPostgres(w.schema, ch.id, 10);
    const rows = await storedRows(w.schema, ch.id);
    expect(rows.map((r) => [Number(r.seq), r.text])).toEqual(range(10).map((i) => [i, `kept ${i}`]));
    socket.close();
  });

  it('a socket reconnecting with ?since during an outage gets what Postgres lacks from the log, gap-free', async () => {
    const w = await chatWorkspace();
    const ch = await w.owner.channel('resume');
    const stub = roomStub(w, ch.id);
    const first = await w.owner.socket(ch.id);
    await first.next((f) => f.type === 'ready');
    await say(first, 'stored', range(3));
    await untilInPostgres(w.schema, ch.id, 3);
    await roomDatabase(stub, UNREACHABLE);
    await say(first, 'logged', range(4, 4));

    // since=3: all of it is in the log (no database needed); since=1: Postgres for 2..3 is down,
    // so the replay says so rather than leaving a gap.
    const second = await w.owner.socket(ch.id, '?since=3');
    const replayed = range(4, 4);
    await waitForSeqs(second, replayed);
    expect(second.frames.filter((f) => f.type === 'message.created').map((f) => [f.message.seq, f.replay])).toEqual(replayed.map((s) => [s, true]));
    const third = await w.owner.socket(ch.id, '?since=1');
    const failed = await third.next((f) => f.type === 'error' || f.type === 'message.created');
    expect(failed).toMatchObject({ type: 'error', code: 'replay_failed' });

    await roomDatabase(stub, undefined);
    const fourth = await w.owner.socket(ch.id, '?since=1');
    await waitForSeqs(fourth, range(6, 2));
    expect(fourth.frames.filter((f) => f.type === 'message.created').map((f) => f.message.seq)).toEqual(range(6, 2));
    for (const s of [first, second, third, fourth]) s.close();
  });
});
