import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestContext } from '../audit/audit';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
import { closeUserSockets } from '../chat/rooms';
import type { Acting } from './user-admin';

/** Account requests are small JSON documents; anything bigger is refused before it is read. */
export function smallBodies(): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: 16 * 1024,
    onError: () => {
      throw new DomainError('payload_too_large', 'The request body is larger than 16 KB.');
    },
  });
}

export function acting(c: Context<AppEnv>, user: UserPrincipal): Acting {
  return { user, tenantId: c.get('tenant').id, context: requestContext(c) };
}

/**
 * After a commit that ended a user's sessions: their open sockets go too. The sessions are
 * already dead (the version was bumped); a room that cannot be reached is logged, and does not
 * turn a committed change into an error.
 */
export async function closeSocketsOf(c: Context<AppEnv>, userId: string, channelIds: string[], reason: string): Promise<void> {
  if (channelIds.length === 0) return;
  try {
    await closeUserSockets(c.env, c.get('tenant').id, userId, channelIds, reason);
  } catch (err) {
    c.get('log').warn('close_sockets_failed', { userId, reason, error: err instanceof Error ? err.message : String(err) });
  }
}
