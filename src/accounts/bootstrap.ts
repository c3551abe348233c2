import { listChannels, type ChannelView } from '../chat/channels';
import type { UserPrincipal } from '../http/tenant-context';
import type { TenantDb } from '../tenancy/tenant-db';
import { getOwnAccount } from './sessions';
import type { UserView } from './user-view';

/** What a signed-in person's app needs on load: their account and their channels (with unread counts). */
export interface SessionBootstrap {
  user: UserView;
  channels: ChannelView[];
}

/** Read in parallel: each a transaction that re-checks the session (an ended one fails with NC401). */
export async function sessionBootstrap(tdb: TenantDb, user: UserPrincipal): Promise<SessionBootstrap> {
  const [me, channels] = await Promise.all([getOwnAccount(tdb, user), listChannels(tdb, user, { includeArchived: false })]);
  return { user: me, channels };
}
