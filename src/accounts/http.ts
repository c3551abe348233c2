import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestContext } from '../audit/audit';
import type { AppEnv } from '../env';
import { DomainError } from '../domain/errors';
import type { UserPrincipal } from '../http/tenant-context';
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
