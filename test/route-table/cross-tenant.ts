/**
 * The cross-tenant cases of one route: who calls (A's owner, nobody, a broken or ended session
 * of B, a B user below the route's role), on which host (B's, A's, the platform, odd forms of
 * the Host header), with whose object ids (B's) — and what each may answer.
 *
 * Every case: no 5xx, no B private data (marker or id) in the answer, a 4xx is the JSON error,
 * and (per route) B's fingerprint unchanged. A 2xx only where the table allows one: a public
 * route (public2xx), or a case with headers naming B sent on A's own host that carries nothing
 * of B's (it acts on A, as it should).
 */
import { stripeSignature, fillPath, pathValues, baseQuery, queryString, siteHost, uploadBody, PLATFORM_HOST, type Probe } from './harness';
import { CROSS_KINDS, keyOf, type Allowance, type CrossKind, type RouteEntry } from './table';
import type { Objs, World } from './world';

export interface CrossWorlds {
  A: World;
  B: World;
  /** A new owner of A with a valid session (for cases on A whose success would end the caller's session). */
  freshA: () => Promise<string>;
}

export interface CrossCase {
  kind: CrossKind;
  probe: Probe;
  /** A 2xx is allowed (why, and what must hold then). */
  allow2xx: Allowance | null;
  /** Only 401 or 403 will do (a route that needs a session, called without a valid one of the right role). */
  mustBe401or403: boolean;
  /** Sent on A's host with A's session, naming nothing of B's but in headers: a success must not mention B at all (not even its public id or slug). */
  aboutA: boolean;
}

const SESSION_ACCESS = new Set(['member', 'manager', 'owner']);
const SESSIONLESS_KINDS = new Set<CrossKind>(['no-session', 'garbage-token', 'forged-token', 'revoked', 'deactivated', 'demoted', 'under-privileged']);

/** Headers a proxy or a client might use to name another workspace. */
export function spoofHeaders(b: Objs): Record<string, string> {
  return {
    'x-tenant-id': b.t.id,
    'x-tenant-slug': b.t.slug,
    'x-tenant-schema': b.schema,
    'x-tenant-role': b.schema,
    'x-tenant-host': b.host,
    'x-forwarded-host': b.host,
    'x-original-host': b.host,
    'x-host': b.host,
    'x-forwarded-server': b.host,
    forwarded: `host=${b.host};proto=http`,
  };
}

/** Host header forms, and what each names. */
function hostForm(kind: CrossKind, a: Objs, b: Objs): { host: string; extra?: Record<string, string>; resolvesTo: 'B' | 'nobody' | 'platform' } | null {
  switch (kind) {
    case 'host-upper':
      return { host: b.host.toUpperCase(), resolvesTo: 'B' };
    case 'host-dot-port':
      return { host: `${b.host}.:8787`, resolvesTo: 'B' };
    case 'host-custom-domain':
      return { host: b.customDomain, resolvesTo: 'B' };
    case 'host-suffix':
      return { host: `${b.host}.evil.example`, resolvesTo: 'nobody' };
    case 'host-forwarded':
      return { host: 'evil.example', extra: { 'x-forwarded-host': b.host, forwarded: `host=${b.host}` }, resolvesTo: 'nobody' };
    case 'host-nested':
      return { host: `${a.t.slug}.${b.host}`, resolvesTo: 'nobody' };
    case 'host-platform':
      return { host: `www.${PLATFORM_HOST}`, resolvesTo: 'platform' };
    case 'host-ipv6':
      return { host: '[::1]:8787', resolvesTo: 'platform' };
    default:
      return null;
  }
}

function hasRefs(e: RouteEntry): boolean {
  return e.body?.kind === 'json' && Object.values(e.body.fields).some((f) => f.ref);
}

function usesObjects(e: RouteEntry): boolean {
  return Object.keys(e.params ?? {}).length > 0 || hasRefs(e) || e.body?.kind === 'stripe' || Object.values(e.query ?? {}).some((q) => typeof q.valid === 'function' && (q.required || q.send));
}

/** The B token of a role below the one the route needs. */
function underPrivileged(e: RouteEntry, b: World): string | null {
  switch (e.access) {
    case 'manager':
      return b.tokens.member;
    case 'owner':
      return b.tokens.admin;
    case 'platform_admin':
      return b.tokens.owner;
    default:
      return null;
  }
}

async function bodyFor(e: RouteEntry, o: Objs): Promise<{ body?: string | Uint8Array; headers: Record<string, string> }> {
  const b = e.body;
  if (!b) return { headers: {} };
  if (b.kind === 'json') return { body: JSON.stringify(b.valid(o)), headers: { 'content-type': 'application/json' } };
  if (b.kind === 'upload') {
    const u = uploadBody();
    return { body: u.body, headers: u.headers };
  }
  const payload = JSON.stringify(b.valid(o));
  return { body: payload, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': await stripeSignature(payload) } };
}

/** The cases of `e`, and those that do not apply with their reasons. */
export async function crossTenantCases(e: RouteEntry, w: CrossWorlds): Promise<{ cases: CrossCase[]; skipped: { kind: CrossKind; why: string }[] }> {
  const A = w.A.o;
  const B = w.B.o;
  const route = keyOf(e);
  const cases: CrossCase[] = [];
  const skipped: { kind: CrossKind; why: string }[] = [];
  const needsSession = SESSION_ACCESS.has(e.access);

  for (const kind of CROSS_KINDS) {
    const skip = e.cross?.skip?.[kind];
    if (skip) {
      skipped.push({ kind, why: skip });
      continue;
    }
    let token: string | null = w.A.tokens.owner;
    let onA = false;
    let idsFrom: Objs = B;
    let headers: Record<string, string> = {};
    let host: string | null = null;

    switch (kind) {
      case 'a-session':
        break;
      case 'b-ids-on-a':
        if (e.site === 'platform') {
          skipped.push({ kind, why: 'on the platform host this is the a-session case' });
          continue;
        }
        if (!usesObjects(e) && e.cross?.bodyFrom?.['b-ids-on-a'] === undefined) {
          skipped.push({ kind, why: 'the route names no object' });
          continue;
        }
        onA = true;
        break;
      case 'b-body-ids':
        if (!hasRefs(e) || Object.keys(e.params ?? {}).length === 0) {
          skipped.push({ kind, why: hasRefs(e) ? 'no path ids: b-ids-on-a already puts B\'s ids in the body' : 'no object id in the body' });
          continue;
        }
        onA = true;
        idsFrom = A;
        break;
      case 'no-session':
        token = null;
        break;
      case 'garbage-token':
        token = 'garbage.not-a.session-token';
        break;
      case 'forged-token':
        token = w.B.tokens.forgedOwner;
        break;
      case 'revoked':
        token = w.B.tokens.revokedOwner;
        break;
      case 'deactivated':
        token = w.B.tokens.deactivatedAdmin;
        break;
      case 'demoted':
        token = w.B.tokens.demotedAdmin;
        break;
      case 'under-privileged': {
        const t = underPrivileged(e, w.B);
        if (!t) {
          skipped.push({ kind, why: `no role below "${e.access}"` });
          continue;
        }
        token = t;
        break;
      }
      case 'spoof-headers':
        onA = true;
        headers = spoofHeaders(B);
        break;
      default: {
        const form = hostForm(kind, A, B);
        if (!form) throw new Error(`unknown case kind ${kind}`);
        host = form.host;
        headers = { host: form.host, ...form.extra };
      }
    }

    const bodyTenant = e.cross?.bodyFrom?.[kind] ?? e.cross?.bodyFrom?.default ?? (kind === 'b-body-ids' ? 'B' : idsFrom.label);
    const bodyObjs = bodyTenant === 'A' ? A : B;
    const urlHost = host !== null ? siteHost(e, A) : siteHost(e, onA ? A : B);
    const path = fillPath(e.path, pathValues(e, idsFrom)) + queryString(baseQuery(e, idsFrom));
    const built = await bodyFor(e, bodyObjs);
    const carriesB =
      (Object.keys(e.params ?? {}).length > 0 && idsFrom === B) || (hasRefs(e) && bodyObjs === B) || mentionsB(`${path}\n${typeof built.body === 'string' ? built.body : ''}`, w.B);
    const allow2xx: Allowance | null =
      e.cross?.allow2xx?.[kind] ?? e.public2xx ?? (kind === 'spoof-headers' && !carriesB ? { why: 'acts on A (its own host and session): headers naming B change nothing' } : null);
    // A case that may succeed on A and would end the caller's sessions gets a session of its own.
    if (kind === 'spoof-headers' && allow2xx && e.writes && token) token = await w.freshA();
    const probe: Probe = {
      route,
      kind,
      method: e.method,
      url: `http://${urlHost}${path}`,
      headers: {
        ...built.headers,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(e.websocket ? { upgrade: 'websocket' } : {}),
        ...headers,
      },
      ...(built.body !== undefined ? { body: built.body } : {}),
    };
    cases.push({ kind, probe, allow2xx, mustBe401or403: needsSession && SESSIONLESS_KINDS.has(kind) && !e.public2xx, aboutA: kind === 'spoof-headers' && !carriesB });
  }
  return { cases, skipped };
}

/** Whether a request's path or body names something of B's (its id, slug, owner, domain, objects). */
function mentionsB(text: string, b: World): boolean {
  return [b.o.t.id, b.o.t.slug, b.o.customDomain, ...b.privateIds].some((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}
