import { deleteChannelFiles } from '../attachments/cleanup';
import type { AppBindings } from '../env';
import type { Logger } from '../http/logger';
import type { TenantSnapshot } from '../tenancy/snapshot';
import type { RoomEvent } from './room-protocol';
import { personStreamStub, roomStub } from './rooms';

/**
 * What a committed change still has to tell the world: a use case returns these with its
 * result, and the route hands them to `dispatchAfterCommit` once the transaction is done. They
 * are notifications, never part of the change: a room or a bucket that cannot be reached is
 * logged, and the request that committed still succeeds (a retried write would not be safe, and
 * clients catch up with `?since=`; a file left behind is only storage).
 */
export type AfterCommit =
  /** Broadcast to the channel's sockets (an edit, a deletion, a reaction, a read position). */
  | { kind: 'broadcast'; channelId: string; event: RoomEvent }
  /** Their sessions ended (signed out, deactivated, password or role changed): close their sockets in these channels and their stream. */
  | { kind: 'close_user'; userId: string; channelIds: string[]; reason: string }
  /** They joined or were added (a new channel, a DM): their stream shows it and listens to it. */
  | { kind: 'membership_started'; channelId: string; userIds: string[] }
  /** They left or were removed: their sockets there close, their stream drops it. */
  | { kind: 'membership_ended'; channelId: string; userId: string; reason: string }
  /** Close every socket of the channel (deleted). */
  | { kind: 'close_room'; channelId: string; reason: string }
  /** Remove the channel's files from R2 (its rows went with it). */
  | { kind: 'delete_channel_files'; channelId: string }
  /** Remove these objects from R2 (their rows were soft-deleted and their storage released). */
  | { kind: 'delete_files'; keys: string[] };

export interface AfterCommitDeps {
  env: AppBindings;
  tenant: TenantSnapshot;
  log: Logger;
}

export function broadcast(channelId: string, event: RoomEvent): AfterCommit {
  return { kind: 'broadcast', channelId, event };
}

export function closeUser(userId: string, channelIds: string[], reason: string): AfterCommit[] {
  return [{ kind: 'close_user', userId, channelIds, reason }];
}

export function membershipStarted(channelId: string, userIds: string[]): AfterCommit[] {
  return userIds.length ? [{ kind: 'membership_started', channelId, userIds }] : [];
}

export function membershipEnded(channelId: string, userId: string, reason: string): AfterCommit {
  return { kind: 'membership_ended', channelId, userId, reason };
}

/** Runs every effect (all of them, whatever fails), logging failures; never throws. */
export async function dispatchAfterCommit(deps: AfterCommitDeps, effects: readonly AfterCommit[]): Promise<void> {
  const tasks = effects.flatMap((effect) => runs(deps, effect).map((run) => ({ effect, run })));
  // Promise.resolve().then: a stub that throws while being built is a failure like any other.
  const results = await Promise.allSettled(tasks.map((t) => Promise.resolve().then(t.run)));
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') return;
    const { effect } = tasks[i]!;
    deps.log.warn('after_commit_failed', { kind: effect.kind, ...target(effect), error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
}

function runs(deps: AfterCommitDeps, effect: AfterCommit): (() => Promise<unknown>)[] {
  const room = (channelId: string) => roomStub(deps.env, deps.tenant.id, channelId);
  switch (effect.kind) {
    case 'broadcast':
      return [() => room(effect.channelId).publish({ tenant: deps.tenant, channelId: effect.channelId }, effect.event)];
    case 'close_user':
      return [
        ...effect.channelIds.map((channelId) => () => room(channelId).closeUser(effect.userId, effect.reason)),
        () => personStreamStub(deps.env, deps.tenant.id, effect.userId).closeAll(effect.reason),
      ];
    case 'membership_started':
      return effect.userIds.map((userId) => () => personStreamStub(deps.env, deps.tenant.id, userId).deliver([{ kind: 'channel_changed', channelId: effect.channelId, change: 'added' }]));
    case 'membership_ended':
      return [() => room(effect.channelId).removeMember(effect.userId, effect.reason)];
    case 'close_room':
      return [() => room(effect.channelId).closeAll(effect.reason)];
    case 'delete_channel_files':
      return [() => deleteChannelFiles(deps.env.FILES, deps.tenant.id, effect.channelId)];
    case 'delete_files': {
      // Never outside this tenant's prefix, whatever a row said.
      const keys = effect.keys.filter((k) => k.startsWith(`${deps.tenant.id}/`));
      return keys.length ? [() => deps.env.FILES.delete(keys)] : [];
    }
  }
}

function target(effect: AfterCommit): Record<string, unknown> {
  switch (effect.kind) {
    case 'close_user':
      return { userId: effect.userId, channels: effect.channelIds.length };
    case 'delete_files':
      return { files: effect.keys.length };
    case 'membership_started':
      return { channelId: effect.channelId, users: effect.userIds.length };
    case 'membership_ended':
      return { channelId: effect.channelId, userId: effect.userId };
    default:
      return { channelId: effect.channelId };
  }
}
