/**
 * The Durable Object bindings are wired: each class is reachable by name, its ids are stable
 * per name, and its SQLite storage works.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { ChatRoom } from '../durable-objects/chat-room';
import type { TenantGate } from '../durable-objects/tenant-gate';

const gates = env.TENANT_GATE as unknown as DurableObjectNamespace<TenantGate>;
const rooms = env.CHAT_ROOM as unknown as DurableObjectNamespace<ChatRoom>;

describe('Durable Object bindings', () => {
  it.each([
    ['TENANT_GATE', env.TENANT_GATE],
    ['CHAT_ROOM', env.CHAT_ROOM],
  ])('%s is bound to a Durable Object namespace', (_name, namespace) => {
    expect(namespace).toBeDefined();
    expect(typeof namespace.idFromName).toBe('function');
    expect(typeof namespace.get).toBe('function');
  });

  it('gives the same id for the same name and different ids for different names', () => {
    const a = gates.idFromName('t1');
    expect(gates.idFromName('t1').toString()).toBe(a.toString());
    expect(gates.idFromName('t1').equals(a)).toBe(true);
    expect(gates.idFromName('t2').toString()).not.toBe(a.toString());
    expect(a.toString()).toMatch(/^[0-9a-f]{64}$/);
    // The same name in another namespace is another object.
    expect(rooms.idFromName('t1').toString()).not.toBe(a.toString());
  });
});

describe('TenantGate', () => {
  it('describes itself with its kind, id and SQLite storage', async () => {
    const id = gates.idFromName('t1');
    const described = await gates.get(id).describe();
    expect(described).toEqual({ kind: 'TenantGate', id: id.toString(), storage: 'sqlite' });
  });

  it('is the same object when reached again by the same name', async () => {
    const first = await gates.get(gates.idFromName('tenant-same')).describe();
    const second = await gates.get(gates.idFromName('tenant-same')).describe();
    const other = await gates.get(gates.idFromName('tenant-other')).describe();
    expect(second.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
  });

  it('writes to its SQLite storage when described', async () => {
    const stub = gates.get(gates.idFromName('t-storage'));
    await stub.describe();
    const rows = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ key: string; value: string }>('SELECT key, value FROM gate_meta').toArray());
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key).toBe('last_seen');
    expect(Number.isNaN(Date.parse(rows[0]!.value))).toBe(false);
  });
});

describe('ChatRoom', () => {
  it('describes itself with its kind, id and no sockets', async () => {
    const id = rooms.idFromName('t1:general');
    expect(await rooms.get(id).describe()).toEqual({ kind: 'ChatRoom', id: id.toString(), sockets: 0 });
  });

  it('creates its metadata table in SQLite storage', async () => {
    const stub = rooms.get(rooms.idFromName('t1:random'));
    await stub.describe();
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'room_meta'").toArray(),
    );
    expect(tables).toEqual([{ name: 'room_meta' }]);
  });
});
