import type { AppBindings } from '../env';

/**
 * One ChatRoom Durable Object per tenant channel. The name — and so the object — is derived
 * from the resolved tenant's id and the channel id; a client never names a room. Because
 * idFromName is a pure function of the name, every Worker reaches the same object without any
 * coordination.
 */
export function roomStub(env: AppBindings, tenantId: string, channelId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(`${tenantId}:${channelId}`));
}

/** One PersonStream Durable Object per tenant user: their event stream across channels. */
export function personStreamStub(env: AppBindings, tenantId: string, userId: string) {
  return env.PERSON_STREAM.get(env.PERSON_STREAM.idFromName(`${tenantId}:${userId}`));
}
