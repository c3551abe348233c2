/**
 * The workspaces the route-table suites act on, built once per file through the public API
 * (plus the same direct inserts the other suites' helpers use for users and custom domains).
 *
 * Every piece of private data in a workspace carries its `marker` (a random lowercase word), so
 * "never B's data" is one substring test over a response; its object ids are listed too, and
 * count as a leak only when the request did not itself carry them.
 */
import { signSession } from '../../src/auth/session';
import { insertActiveDomain } from '../support/domains';
import { chatWorkspace, type ChatWorkspace, type Client } from '../support/chat';
import { bearer, database, tenantUrl, api, type CreatedTenant } from '../support/tenants';
import { TEST_BASE_DOMAIN, TEST_SESSION_SECRET } from '../support/constants';

export const OWNER_PASSWORD = 'securepass123';
/** The password a wrongly accepted password change sets (the bad-input suite signs in with either). */
export const OTHER_PASSWORD = 'securepass123-changed';

/** The objects of one workspace that path parameters and bodies name. */
export interface Objs {
  label: 'A' | 'B';
  t: CreatedTenant;
  /** `<slug>.nchat.test` */
  host: string;
  schema: string;
  marker: string;
  ownerId: string;
  ownerEmail: string;
  /** The owner's current password (OWNER_PASSWORD, or OTHER_PASSWORD after a password change went through). */
  password: string;
  /** An active custom domain of the workspace (public.tenant_domains). */
  customDomain: string;
  /** Custom domains added through the API (the Cloudflare fake keeps them pending): one the refresh route asks about, one only DELETE aims at. */
  domainId: string;
  doomedDomainId: string;
  /** A public channel: owner (creator), member and admin are members. */
  channelId: string;
  privateChannelId: string;
  archivedChannelId: string;
  /** A channel only the DELETE route aims at (so a wrongful delete leaves the others standing). */
  doomedChannelId: string;
  /** The direct-message channel between the owner and the member. */
  dmChannelId: string;
  /** A top-level message of channelId by the owner, with the owner's `emoji` reaction and one reply. */
  messageId: string;
  replyId: string;
  /** A message only DELETE /api/messages/:id aims at. */
  doomedMessageId: string;
  emoji: string;
  attachmentId: string;
  doomedAttachmentId: string;
  /** An active member (of channelId). */
  memberId: string;
  adminId: string;
  /** A member whose role and status the user routes aim at. */
  targetUserId: string;
  deactivatedUserId: string;
  /** Pending invitations: one for resend, one for revoke, one whose token accept uses. */
  invitationId: string;
  doomedInvitationId: string;
  inviteToken: string;
  /** A WebSocket ticket for channelId, issued to the owner. */
  wsTicket: string;
  /** Every message id of the workspace (ints, per-schema identity). */
  messageIds: number[];
}

export interface Sessions {
  owner: string;
  admin: string;
  member: string;
  /** An owner who signed out (POST /api/auth/logout): the token is well signed, the session over. */
  revokedOwner: string;
  /** An admin the owner deactivated. */
  deactivatedAdmin: string;
  /** An admin the owner demoted to member; this is the token from before the change. */
  demotedAdmin: string;
  /** A token for the owner signed with another secret. */
  forgedOwner: string;
}

export interface World {
  o: Objs;
  ws: ChatWorkspace;
  tokens: Sessions;
  /** Strings that must never leave this workspace (marker-bearing texts are found by the marker itself). */
  privateIds: string[];
}

function randomWord(prefix: string): string {
  return `${prefix}${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

function must<T>(what: string, res: { status: number; body: unknown }, status: number, pick: (b: Record<string, any>) => T): T {
  if (res.status !== status) throw new Error(`fixture: ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return pick(res.body as Record<string, any>); // any: fixture responses, read by known field names
}

async function upload(c: Client, channelId: string, text: string, filename: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const res = await api(c.url(`/api/channels/${channelId}/attachments?filename=${encodeURIComponent(filename)}`), {
    method: 'POST',
    headers: { ...bearer(c.token), 'content-type': 'text/plain', 'content-length': String(bytes.byteLength) },
    body: bytes,
  });
  return must('upload', res, 201, (b) => String(b.attachment.id));
}

/**
 * A Pro-trial workspace (search, audit log, threads, reactions and DMs reach their handlers)
 * with one of each object the routes name. `messageIdsFrom` starts this workspace's message ids
 * there, so they can be kept apart from another's (message ids are per-schema sequences, handed
 * out by the rooms in blocks: B's id 1025 may well exist in A).
 */
export async function buildWorld(label: 'A' | 'B', options: { messageIdsFrom?: number } = {}): Promise<World> {
  const marker = randomWord(`zq${label.toLowerCase()}`);
  const ws = await chatWorkspace({ trial: true, name: `Route table ${label}` });
  const { t, owner } = ws;
  const user = (role: 'member' | 'admin' | 'owner', what: string) => ws.user(role, { displayName: `${marker} ${what}`, localPart: `${marker}-${what}` });
  const [member, admin, target, deactivated, revokedOwner, deactivatedAdmin, demotedAdmin] = await Promise.all([
    user('member', 'member'),
    user('admin', 'admin'),
    user('member', 'target'),
    user('member', 'gone'),
    user('owner', 'signedout'),
    user('admin', 'deactivated'),
    user('admin', 'demoted'),
  ]);

  must('status text', await owner.patch('/api/me', { statusText: `${marker} status` }), 200, () => null);
  const channel = await owner.channel(`${marker}-general`, 'public', { topic: `${marker} topic`, description: `${marker} description`, memberIds: [member.id, admin.id] });
  const priv = await owner.channel(`${marker}-private`, 'private', { memberIds: [member.id] });
  const archived = await owner.channel(`${marker}-archived`);
  must('archive', await owner.post(`/api/channels/${archived.id}/archive`), 200, () => null);
  const doomed = await owner.channel(`${marker}-doomed`);
  const dm = must('dm', await owner.post('/api/dms', { userId: member.id }), 201, (b) => String(b.channel.id));

  const messageIds: number[] = [];
  if (options.messageIdsFrom) {
    await database().sql.query(`SELECT setval(pg_get_serial_sequence('"${ws.schema}".nchat_messages', 'id'), $1)`, [options.messageIdsFrom]);
  }
  const message = await owner.say(channel.id, `${marker} message`);
  const reply = await owner.say(channel.id, `${marker} reply`, { parentId: message.id });
  const doomedMessage = await member.say(channel.id, `${marker} doomed message`);
  await member.say(dm, `${marker} direct message`);
  await member.say(priv.id, `${marker} private message`);
  messageIds.push(Number(message.id), Number(reply.id), Number(doomedMessage.id));
  const emoji = ':thumbsup:';
  must('react', await owner.post(`/api/messages/${message.id}/reactions`, { emoji }), 201, () => null);

  const attachmentId = await upload(owner, channel.id, `${marker} file content`, `${marker}-file.txt`);
  const doomedAttachmentId = await upload(owner, channel.id, `${marker} doomed content`, `${marker}-doomed.txt`);

  const invite = async (what: string) =>
    must('invite', await owner.post('/api/invitations', { email: `${marker}-${what}@example.test`, role: 'member' }), 201, (b) => ({
      id: String(b.invitation.id),
      token: String(b.acceptUrl).split('/invite/')[1]!,
    }));
  const [inv, doomedInv, acceptInv] = [await invite('invitee'), await invite('doomed'), await invite('acceptor')];
  const addDomain = async (what: string) =>
    must('domain', await owner.post('/api/tenant/domains', { hostname: `${what}.${marker}.nchat-customer.com` }), 201, (b) => String(b.domain.id));
  const [domainId, doomedDomainId] = [await addDomain('pending'), await addDomain('doomed')];

  const wsTicket = must('ws-ticket', await owner.post(`/api/channels/${channel.id}/ws-ticket`), 201, (b) => String(b.ticket));

  // Sessions that are over, three ways.
  must('logout', await revokedOwner.post('/api/auth/logout'), 204, () => null);
  must('deactivate', await owner.post(`/api/users/${deactivatedAdmin.id}/deactivate`), 200, () => null);
  must('deactivate', await owner.post(`/api/users/${deactivated.id}/deactivate`), 200, () => null);
  must('demote', await api(tenantUrl(t.slug, `/api/users/${demotedAdmin.id}/role`), { method: 'PUT', headers: bearer(t.token), json: { role: 'member' } }), 200, () => null);

  const customDomain = `chat-${marker.slice(3)}.example.com`;
  await insertActiveDomain(t.id, customDomain);

  const o: Objs = {
    label,
    t,
    host: `${t.slug}.${TEST_BASE_DOMAIN}`,
    schema: ws.schema,
    marker,
    ownerId: t.ownerId,
    ownerEmail: `owner@${t.slug}.test`,
    password: OWNER_PASSWORD,
    customDomain,
    domainId,
    doomedDomainId,
    channelId: String(channel.id),
    privateChannelId: String(priv.id),
    archivedChannelId: String(archived.id),
    doomedChannelId: String(doomed.id),
    dmChannelId: dm,
    messageId: String(message.id),
    replyId: String(reply.id),
    doomedMessageId: String(doomedMessage.id),
    emoji,
    attachmentId,
    doomedAttachmentId,
    memberId: member.id,
    adminId: admin.id,
    targetUserId: target.id,
    deactivatedUserId: deactivated.id,
    invitationId: inv.id,
    doomedInvitationId: doomedInv.id,
    inviteToken: acceptInv.token,
    wsTicket,
    messageIds,
  };
  const tokens: Sessions = {
    owner: t.token,
    admin: admin.token,
    member: member.token,
    revokedOwner: revokedOwner.token,
    deactivatedAdmin: deactivatedAdmin.token,
    demotedAdmin: demotedAdmin.token,
    forgedOwner: await signSession(`${TEST_SESSION_SECRET}-not-ours`, { sub: t.ownerId, tid: t.id, role: 'owner', sv: 1 }),
  };
  const privateIds = [
    o.ownerId,
    o.channelId,
    o.privateChannelId,
    o.archivedChannelId,
    o.doomedChannelId,
    o.dmChannelId,
    o.attachmentId,
    o.doomedAttachmentId,
    o.memberId,
    o.adminId,
    o.targetUserId,
    o.deactivatedUserId,
    revokedOwner.id,
    deactivatedAdmin.id,
    demotedAdmin.id,
    o.invitationId,
    o.doomedInvitationId,
    o.domainId,
    o.doomedDomainId,
    o.inviteToken,
    o.wsTicket,
    o.ownerEmail,
  ];
  return { o, ws, tokens, privateIds };
}

/** A new owner of the workspace with a valid session (for cases whose success would end the caller's sessions). */
export async function freshOwner(w: World): Promise<string> {
  return (await w.ws.user('owner')).token;
}
