/**
 * The app fits its own plan (issue 11, point 5): the web app's requests (the browser's session
 * cookie, or same-origin before sign-in) count against neither the plan's requests a minute nor
 * its API calls a month, only against a per-person ceiling; API clients (a token in
 * Authorization) count as before. With the TenantGate on, as in production.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { APP_REQUESTS_PER_MINUTE, monthPeriod } from '../durable-objects/tenant-gate';
import worker from '../src/index';
import { gateStub } from '../src/tenancy/gate';
import { env } from 'cloudflare:workers';
import { chatWorkspace } from './support/chat';
import { envWith } from './support/gateway';
import { bearer, tenantUrl } from './support/tenants';

const enforced = envWith({ PLAN_LIMITS_ENFORCED: 'true' });

async function send(url: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init), enforced, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** As the browser sends it: the session cookie, same-origin. */
function asBrowser(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { cookie: `nchat_session=${token}`, 'sec-fetch-site': 'same-origin', ...extra };
}

describe('the web app and the plan’s limits', () => {
  it('ten people of a free workspace opening the app and chatting in the same minute never meet a limit; none of it is an API call', async () => {
    const w = await chatWorkspace();
    const people = [w.owner, ...(await Promise.all(Array.from({ length: 9 }, () => w.user('member'))))];
    const ch = await w.owner.channel('lounge');
    await Promise.all(people.slice(1).map((p) => p.join(ch.id)));
    const before = (await gateStub(env, w.t.id).counters(monthPeriod(Date.now()))).total;
    const statuses: number[] = [];
    // Each: the bootstrap, the channel's history, 6 messages and a read position: 9 requests,
    // 90 in all — more than the free plan's 60 requests a minute.
    await Promise.all(
      people.map(async (p, i) => {
        const h = asBrowser(p.token);
        statuses.push((await send(tenantUrl(w.t.slug, '/api/tenant?include=session'), { headers: h })).status);
        statuses.push((await send(tenantUrl(w.t.slug, `/api/channels/${ch.id}/messages`), { headers: h })).status);
        for (let m = 0; m < 6; m++) {
          const res = await send(tenantUrl(w.t.slug, `/api/channels/${ch.id}/messages`), { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ text: `hi ${i}.${m}` }) });
          statuses.push(res.status);
        }
        statuses.push((await send(tenantUrl(w.t.slug, `/api/channels/${ch.id}/read`), { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ seq: 1 }) })).status);
      }),
    );
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.every((s) => s >= 200 && s < 300)).toBe(true);
    expect((await gateStub(env, w.t.id).counters(monthPeriod(Date.now()))).total).toBe(before);
  });

  it('an API client (a token in Authorization) still gets the plan’s 60 a minute, and is counted', async () => {
    const w = await chatWorkspace();
    const results = await Promise.all(Array.from({ length: 70 }, () => send(tenantUrl(w.t.slug, '/api/me'), { headers: bearer(w.owner.token) })));
    expect(results.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(10);
    expect((await gateStub(env, w.t.id).counters(monthPeriod(Date.now()))).total).toBeGreaterThanOrEqual(60);
  });

  it('one person’s runaway browser meets its own ceiling (429 with Retry-After); the others are not affected', async () => {
    const w = await chatWorkspace();
    const bob = await w.user('member');
    const n = APP_REQUESTS_PER_MINUTE.person + 20;
    const results = await Promise.all(Array.from({ length: n }, () => send(tenantUrl(w.t.slug, '/api/me'), { headers: asBrowser(w.owner.token) })));
    const limited = results.filter((r) => r.status === 429);
    // n requests in a minute: at least 20 refused (more only if the burst straddled a minute).
    expect(limited.length).toBeGreaterThanOrEqual(20);
    const body = (await limited[0]!.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/this browser/);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await send(tenantUrl(w.t.slug, '/api/me'), { headers: asBrowser(bob.token) })).status).toBe(200);
  });

  it('before sign-in, a browser’s requests are the app’s too (per address), not API calls', async () => {
    const w = await chatWorkspace();
    const before = (await gateStub(env, w.t.id).counters(monthPeriod(Date.now()))).total;
    const res = await send(tenantUrl(w.t.slug, '/api/tenant'), { headers: { 'sec-fetch-site': 'none', 'cf-connecting-ip': '10.9.8.7' } });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('ratelimit-limit'))).toBe(APP_REQUESTS_PER_MINUTE.anonymous);
    expect((await gateStub(env, w.t.id).counters(monthPeriod(Date.now()))).total).toBe(before);
  });
});
