import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import { billingDepsFromEnv } from '../../src/billing/deps';
import { configFor } from '../../src/config';
import type { TenantRow } from '../../src/db/schema';
import { findTenant } from '../../src/tenancy/service';
import { BILLING_SUSPENSION_REASON } from '../../src/tenancy/suspension';
import { completeCheckout, deliver, fakeEvents, setSubscription, type SignedEvent } from './stripe';
import { api, bearer, createTenant, database, tenantUrl, type ApiResult, type CreatedTenant } from './tenants';

/** Helpers for the billing tests: the owner's billing calls, a paid subscription, what was stored. */

/** Every response body the billing tests saw, so a file can check that no secret ever left the Worker. */
export const seenBodies: string[] = [];

export async function billingCall(t: Pick<CreatedTenant, 'slug'>, token: string, method: string, path: string, json?: unknown): Promise<ApiResult<Record<string, any>>> {
  const res = await api<Record<string, any>>(tenantUrl(t.slug, `/api/billing${path}`), { method, headers: bearer(token), ...(json === undefined ? {} : { json }) });
  seenBodies.push(JSON.stringify(res.body));
  return res;
}

export async function deliverEvent(event: Pick<SignedEvent, 'payload' | 'signature'> | { payload: string; signature: string | null }): Promise<{ status: number; body: Record<string, any> }> {
  const res = await deliver(event);
  const text = await res.text();
  seenBodies.push(text);
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** Every line the Worker logged while a billing test file ran (the Worker shares the tests' isolate and console). */
export const seenLogLines: string[] = [];

/** Starts collecting console output; the lines are still printed. */
export function captureLogs(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      seenLogLines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      original(...args);
    });
  }
}

const SECRET = /sk_(test|live)_|rk_(test|live)_|whsec_/;

/** No response body and no log line carried a Stripe secret (the test keys are sk_test_nchat_tests and whsec_nchat_tests). */
export function expectNoSecrets(): void {
  expect(seenBodies.length).toBeGreaterThan(0);
  expect(seenBodies.filter((b) => SECRET.test(b))).toEqual([]);
  expect(seenLogLines.length).toBeGreaterThan(0); // the capture worked: every file logs at least a warning
  expect(seenLogLines.filter((l) => SECRET.test(l))).toEqual([]);
}

export async function tenantRow(id: string): Promise<TenantRow> {
  const row = await findTenant(database(), id);
  if (!row) throw new Error(`no tenant ${id}`);
  return row;
}

/** Owner checkout for `plan`, the customer pays at the fake, and every event Stripe sends is delivered. */
export async function subscribe(t: CreatedTenant, plan: 'pro' | 'enterprise' = 'pro', interval: 'monthly' | 'yearly' = 'monthly', options: { status?: 'active' | 'trialing' } = {}) {
  const started = await billingCall(t, t.token, 'POST', '/checkout', { plan, interval });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const completed = await completeCheckout(started.body.checkout.url, options);
  for (const event of completed.events) {
    const res = await deliverEvent(event);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  return { ...completed, subscriptionId: completed.subscription.id, customerId: String(completed.session.customer) };
}

export async function webhookRow(eventId: string): Promise<{ status: string; attempts: number; error: string | null; tenant_id: string | null } | undefined> {
  const rows = (await database().sql`SELECT status, attempts, error, tenant_id FROM public.stripe_webhooks WHERE event_id = ${eventId}`) as {
    status: string;
    attempts: number;
    error: string | null;
    tenant_id: string | null;
  }[];
  return rows[0];
}

export async function stripeAuditCount(tenantId: string): Promise<number> {
  const rows = (await database().sql`SELECT count(*)::int AS n FROM public.tenant_audit_logs WHERE tenant_id = ${tenantId} AND actor_type = 'stripe'`) as { n: number }[];
  return rows[0]!.n;
}

/** The billing dependencies the daily cron uses, for calling the grace sweep with a chosen clock. */
export function cronBillingDeps() {
  return billingDepsFromEnv(env, configFor(env));
}

/** A paying workspace whose subscription went unpaid: suspended by billing (not by an operator). */
export async function suspendedForNonPayment(): Promise<CreatedTenant & { subscriptionId: string }> {
  const t = await createTenant();
  const sub = await subscribe(t);
  await setSubscription(sub.subscriptionId, { status: 'unpaid' });
  const unpaid = (await fakeEvents({ type: 'customer.subscription.updated', object: sub.subscriptionId })).at(-1);
  expect((await deliverEvent(unpaid!)).status).toBe(200);
  expect(await tenantRow(t.id)).toMatchObject({ status: 'suspended', suspendedReason: BILLING_SUSPENSION_REASON });
  return { ...t, subscriptionId: sub.subscriptionId };
}
