/**
 * Bad input, route by route (issue 10, item 4), driven by the route table
 * (test/route-table/table.ts), which must list every route of `app.routes`.
 *
 * Each route is called by someone allowed to (workspace A's owner, the platform admin, a valid
 * Stripe signature, nobody for public routes) with A's own valid ids and one broken thing:
 * invalid JSON, JSON of the wrong type, missing and extra fields, 1 MB strings, deep nesting,
 * NUL bytes and lone UTF-16 surrogates, SQL and LIKE characters, malformed and unknown ids,
 * huge numbers, broken cursors and dates, the wrong content type, an empty body, the wrong
 * method. The answer is always the JSON error with a 4xx (0 answers of 5xx), and nothing is
 * written: A's database fingerprint (schema, public rows, files, the suite's Stripe events) is
 * the same after the route's cases as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { routeTableChecks } from './route-table/inventory-check';
import { badInputCases, type BadCase } from './route-table/bad-input';
import { changed, errorShapeProblem, fingerprint, PLATFORM_HOST, Report, send, type Answer } from './route-table/harness';
import { appRouteKeys, keyOf, METHODS, TABLE, type Method, type RouteEntry } from './route-table/table';
import { buildWorld, OTHER_PASSWORD, OWNER_PASSWORD, type World } from './route-table/world';
import { TEST_PLATFORM_ADMIN_TOKEN } from './support/constants';

let A: World;
const EVENT_PREFIX = `evt_rtbad_${crypto.randomUUID().replace(/-/g, '').slice(0, 10)}_`;
const total = { routes: 0, cases: 0, fiveXx: 0, failures: 0, repairs: 0, unsendable: 0 };

beforeAll(async () => {
  A = await buildWorld('A');
}, 120_000);

afterAll(() => {
  console.log(
    `[route-bad-input] routes in app.routes: ${appRouteKeys(app.routes).length}; table entries: ${TABLE.length}; routes run: ${total.routes}; bad-input cases: ${total.cases}; 5xx seen: ${total.fiveXx}; failed cases: ${total.failures}; cases the runtime would not send: ${total.unsendable}; workspace repairs after a wrongful success: ${total.repairs}`,
  );
});

routeTableChecks();

/** The methods app.routes has for each path; wrong-method cases go with the path's first table entry. */
function methodsByPath(): Map<string, Method[]> {
  const out = new Map<string, Method[]>();
  for (const r of app.routes) {
    const m = METHODS.find((x) => x === r.method);
    if (!m) continue;
    const list = out.get(r.path) ?? [];
    if (!list.includes(m)) list.push(m);
    out.set(r.path, list);
  }
  return out;
}

function actorFor(e: RouteEntry): string | null {
  switch (e.access) {
    case 'member':
    case 'manager':
    case 'owner':
      return A.tokens.owner;
    case 'platform_admin':
      return TEST_PLATFORM_ADMIN_TOKEN;
    default:
      return null;
  }
}

function judge(c: BadCase, a: Answer | null, report: Report): void {
  if (!a) {
    report.skipped++;
    return;
  }
  if (!report.count(c.probe, a)) return;
  if (a.upgraded) {
    if (c.expect === 'invalid') report.fail(c.probe, a, 'a WebSocket was opened for bad input');
    return;
  }
  if (a.status >= 200 && a.status < 300) {
    if (c.expect === 'invalid') report.fail(c.probe, a, `a ${a.status}: the bad input was accepted`);
    else {
      const problem = c.check?.(a.json);
      if (problem) report.fail(c.probe, a, problem);
    }
    return;
  }
  if (a.status < 400) {
    report.fail(c.probe, a, `unexpected status ${a.status}`);
    return;
  }
  const shape = errorShapeProblem(a);
  if (shape) report.fail(c.probe, a, shape);
}

/**
 * After a route whose bad input wrongly succeeded, A is put back so the next routes still test
 * something: the owner signs in again if the session ended, the workspace is unsuspended or
 * restored. The fingerprint of the next route is taken after this.
 */
async function repair(): Promise<boolean> {
  let repaired = false;
  const me = await send({ route: 'repair', kind: 'me', method: 'GET', url: `http://${A.o.host}/api/me`, headers: { authorization: `Bearer ${A.tokens.owner}` } });
  const admin = { authorization: `Bearer ${TEST_PLATFORM_ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const tenantUrl = `http://${PLATFORM_HOST}/api/tenants/${A.o.t.id}`;
  const t = await send({ route: 'repair', kind: 'tenant', method: 'GET', url: tenantUrl, headers: admin });
  const tenant = (t?.json as { tenant?: { status?: string; deletionScheduledAt?: string | null } } | null)?.tenant;
  if (tenant?.status === 'cancelled' || tenant?.deletionScheduledAt) {
    await send({ route: 'repair', kind: 'restore', method: 'POST', url: `${tenantUrl}/restore`, headers: admin });
    repaired = true;
  }
  if (tenant?.status === 'suspended') {
    await send({ route: 'repair', kind: 'unsuspend', method: 'POST', url: `${tenantUrl}/unsuspend`, headers: admin });
    repaired = true;
  }
  if (me?.status === 401 || me?.status === 403) {
    // A password change that went through set the other known password.
    for (const password of [A.o.password, A.o.password === OWNER_PASSWORD ? OTHER_PASSWORD : OWNER_PASSWORD]) {
      const login = await send({
        route: 'repair',
        kind: 'login',
        method: 'POST',
        url: `http://${A.o.host}/api/auth/login`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: A.o.ownerEmail, password }),
      });
      const token = (login?.json as { token?: string } | null)?.token;
      if (!token) continue;
      A.tokens.owner = token;
      A.o.password = password;
      return true;
    }
    throw new Error("repair: cannot sign A's owner in again with either password");
  }
  return repaired;
}

// Lifecycle routes (suspend, delete...) last: a wrongful success there would change every later answer.
const ORDERED = [...TABLE.filter((e) => !e.bad?.lifecycle), ...TABLE.filter((e) => e.bad?.lifecycle)];
const METHODS_OF_PATH = methodsByPath();
const FIRST_OF_PATH = new Set(ORDERED.filter((e, i) => ORDERED.findIndex((x) => x.path === e.path) === i));

describe('bad input, per route', () => {
  for (const e of ORDERED) {
    it(keyOf(e), async () => {
      const report = new Report();
      const before = await fingerprint(A.o, EVENT_PREFIX);
      const cases = await badInputCases(e, { A, actor: actorFor(e), methodsOfPath: FIRST_OF_PATH.has(e) ? (METHODS_OF_PATH.get(e.path) ?? []) : null, eventPrefix: EVENT_PREFIX });
      for (const c of cases) judge(c, await send(c.probe), report);
      const after = await fingerprint(A.o, EVENT_PREFIX);
      const diff = changed(before, after);
      if (diff.length) report.failures.push(`${keyOf(e)} [all cases] → stored data changed: ${diff.join(', ')}`);
      if (await repair()) total.repairs++;

      total.routes++;
      total.cases += report.cases;
      total.fiveXx += report.fiveXx;
      total.failures += report.failures.length;
      total.unsendable += report.skipped;
      expect(report.failures, report.failures.join('\n')).toEqual([]);
    }, 60_000);
  }
});
