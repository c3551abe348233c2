import type { ChannelKind } from '../db/schema';
import { sqlState } from '../db/errors';
import { DomainError } from '../domain/errors';
import { featureRefusal } from '../tenancy/entitlements';
import type { Feature } from '../tenancy/plans';
import type { TenantSnapshot } from '../tenancy/snapshot';
import { tenantRefusal } from '../tenancy/suspension';

/**
 * Whether a new message (or reaction) may go in: the one policy, whatever the entry point.
 * A message reaches its channel's ChatRoom from REST (`POST /api/channels/:id/messages`) or from
 * one of the room's sockets, and the room is the only writer: it calls `admitMessage` for both,
 * then stores the message in a statement that checks the facts only the database knows
 * (`nchat_admit_message`, tenant migration 0004), whose refusals `storeRefusal` names.
 *
 *   the workspace's status      suspended, cancelled or pending refuses, as on the API
 *   the plan's features         threads (a reply), direct messages, private/public channels,
 *                               file uploads (a message with files)
 *   the author's session        still valid: not signed out, deactivated, demoted   (database)
 *   membership                  members only: join a public channel first            (database)
 *   the channel                 not archived (nor deleted)                          (database)
 *   a reply's parent            a live top-level message of this channel            (database)
 *   its files                   the author's own uploads to this channel, unattached (database)
 *
 * Plans put no cap on the number of messages; what they cap (users, channels, storage) is
 * enforced where those are added.
 */

/**
 * The path a room's work is judged as: no suspension leaves chat open (billing's keeps only
 * sign-in and billing open), so sockets opened before a suspension stop with it.
 */
export const CHAT_PATH = '/api/channels';

const CHANNEL_FEATURE: Record<ChannelKind, Feature> = {
  public: 'publicChannels',
  private: 'privateChannels',
  direct: 'directMessages',
};

export interface MessageCandidate {
  parentId: number | null;
  /** How many files go with it. */
  attachments: number;
}

/** The refusal of a new message that needs no database, or null when it may go on to be stored. */
export function admitMessage(tenant: TenantSnapshot, channel: { kind: ChannelKind }, message: MessageCandidate, now = Date.now()): DomainError | null {
  return (
    tenantRefusal(tenant, CHAT_PATH) ??
    featureRefusal(tenant, CHANNEL_FEATURE[channel.kind], now) ??
    (message.parentId !== null ? featureRefusal(tenant, 'threads', now) : null) ??
    (message.attachments > 0 ? featureRefusal(tenant, 'fileUploads', now) : null)
  );
}

/** Reactions: the same status and channel rules, and the plan's reactions feature. */
export function admitReaction(tenant: TenantSnapshot, channel: { kind: ChannelKind }, now = Date.now()): DomainError | null {
  return tenantRefusal(tenant, CHAT_PATH) ?? featureRefusal(tenant, CHANNEL_FEATURE[channel.kind], now) ?? featureRefusal(tenant, 'reactions', now);
}

/** What the storing statement's refusal means (null: not a refusal, a failure to store). */
export function storeRefusal(err: unknown): DomainError | null {
  switch (sqlState(err)) {
    case 'NC401':
      return new DomainError('session_revoked', 'This session has ended (signed out, changed, or the account was deactivated). Sign in again.');
    case 'NC403':
      return new DomainError('not_a_member', 'Join the channel first.');
    case 'NC410':
      return new DomainError('channel_archived', 'The channel is archived.');
    case 'NC422':
      return new DomainError('invalid_parent', 'Replies go to a message of this channel that is not itself a reply.');
    case 'NC424':
      return new DomainError('invalid_attachment', 'A message can carry only files you uploaded to this channel that are not attached to another message.');
    default:
      return null;
  }
}

/** A message that could not be stored for another reason (the database is down, ...). */
export function notStored(): DomainError {
  return new DomainError('not_stored', 'The message could not be stored. Send it again.');
}
