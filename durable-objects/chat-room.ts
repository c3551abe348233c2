import { DurableObject } from 'cloudflare:workers';

/**
 * One per tenant channel (`idFromName(tenantId + ':' + channelId)`): WebSockets through the
 * hibernation API, fan-out, presence, typing and group commit of messages to Postgres. This is
 * its skeleton; the chat issue gives it its work.
 */
export class ChatRoom extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    });
  }

  async describe(): Promise<{ kind: 'ChatRoom'; id: string; sockets: number }> {
    return { kind: 'ChatRoom', id: this.ctx.id.toString(), sockets: this.ctx.getWebSockets().length };
  }

  /** Closes every socket of `userId` in this room (removed from the channel, deactivated). */
  async closeUser(userId: string, reason: string): Promise<number> {
    const sockets = this.ctx.getWebSockets(userId);
    for (const ws of sockets) {
      try {
        ws.close(4003, reason.slice(0, 120));
      } catch {
        /* already closing */
      }
    }
    return sockets.length;
  }
}
