/**
 * Cross-tenant isolation, route by route (issue 10, item 4), driven by the route table
 * (test/route-table/table.ts), which must list every route of `app.routes`.
 *
 * For each route, tenant A (the attacker: its owner's session, its own host) and B (the target,
 * full of marker-bearing data) are probed with: A's session on B's host; B's ids on A's host;
 * no session, a garbage token, a token signed with another secret, B sessions that are over
 * (signed out, deactivated, demoted); a B user below the route's role; headers naming B
 * (X-Tenant-*, X-Forwarded-Host, Forwarded) and odd Host forms. Never B's data in an answer,
 * never a 5xx, never a 2xx the table does not allow, and B's database fingerprint (its schema,
 * its rows in public tables, its files) unchanged by the route's cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { routeTableChecks } from './route-table/inventory-check';
import { crossTenantCases, type CrossCase } from './route-table/cross-tenant';
import { changed, errorShapeProblem, fingerprint, leaksOf, Report, send, type Answer } from './route-table/harness';
import { appRouteKeys, keyOf, TABLE } from './route-table/table';
import { buildWorld, freshOwner, type World } from './route-table/world';
import { database } from './support/tenants';

let A: World;
let B: World;
const total = { routes: 0, cases: 0, fiveXx: 0, failures: 0, skipped: 0 };

beforeAll(async () => {
  // B's message ids are kept above A's: ids are per-schema sequences, and "B's id on A's host"
  // must name nothing of A's.
  [A, B] = await Promise.all([buildWorld('A'), buildWorld('B', { messageIdsFrom: 1_000_000 })]);
  const maxA = ((await database().sql.query(`SELECT max(id)::int AS max FROM "${A.o.schema}".nchat_messages`)) as { max: number }[])[0]!.max;
  const usedB = [B.o.messageId, B.o.replyId, B.o.doomedMessageId].map(Number);
  if (usedB.some((id) => id <= maxA)) throw new Error(`B's message ids ${usedB} overlap A's (up to ${maxA})`);
}, 120_000);

afterAll(() => {
  console.log(
    `[route-isolation] routes in app.routes: ${appRouteKeys(app.routes).length}; table entries: ${TABLE.length}; routes run: ${total.routes}; cross-tenant cases: ${total.cases}; 5xx seen: ${total.fiveXx}; failed cases: ${total.failures}; cases not applicable: ${total.skipped}`,
  );
});

routeTableChecks();

async function judge(c: CrossCase, a: Answer | null, report: Report): Promise<void> {
  if (!a) {
    report.skipped++;
    return;
  }
  if (!report.count(c.probe, a)) return;
  const leaks = leaksOf(a, c.probe, { marker: B.o.marker, ids: B.privateIds });
  if (leaks.length) report.fail(c.probe, a, `B's data in the answer: ${leaks.join(', ')}`);
  if (a.upgraded) {
    // Only where the table allows a success (A's own stream on A's own host); never into B's.
    if (!c.allow2xx) report.fail(c.probe, a, 'a WebSocket was opened');
    return;
  }
  if (a.status >= 200 && a.status < 300) {
    if (!c.allow2xx) {
      report.fail(c.probe, a, `a ${a.status} where the request must be refused`);
      return;
    }
    const problem = await c.allow2xx.check?.(a.json, { kind: c.kind, A: A.o, B: B.o });
    if (problem) report.fail(c.probe, a, problem);
    // Sent on A's own host about nothing of B's: a success must be about A (not even B's public id or slug).
    if (c.aboutA && (a.text.includes(B.o.t.id) || a.text.includes(B.o.t.slug))) report.fail(c.probe, a, "a success on A's host that answered about B");
    return;
  }
  if (a.status < 400) {
    report.fail(c.probe, a, `unexpected status ${a.status}`);
    return;
  }
  const shape = errorShapeProblem(a);
  if (shape) report.fail(c.probe, a, shape);
  if (c.mustBe401or403 && a.status !== 401 && a.status !== 403) report.fail(c.probe, a, 'expected 401 or 403 (the route needs a valid session of the right role)');
}

// Lifecycle routes (suspend, delete...) last: should one wrongly succeed on B, the others still run on a usable B.
const ORDERED = [...TABLE.filter((e) => !e.bad?.lifecycle), ...TABLE.filter((e) => e.bad?.lifecycle)];

describe('cross-tenant isolation, per route', () => {
  for (const e of ORDERED) {
    it(keyOf(e), async () => {
      const report = new Report();
      const before = await fingerprint(B.o);
      const { cases, skipped } = await crossTenantCases(e, { A, B, freshA: () => freshOwner(A) });
      for (const c of cases) await judge(c, await send(c.probe), report);
      const after = await fingerprint(B.o);
      const diff = changed(before, after);
      if (diff.length) report.failures.push(`${keyOf(e)} [all cases] → B's stored data changed: ${diff.join(', ')}`);

      total.routes++;
      total.cases += report.cases;
      total.fiveXx += report.fiveXx;
      total.failures += report.failures.length;
      total.skipped += skipped.length + report.skipped;
      expect(report.failures, report.failures.join('\n')).toEqual([]);
    }, 60_000);
  }
});
