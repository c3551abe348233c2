/**
 * The billing page, as an owner uses it, through the real stack and the Stripe fake's hosted
 * pages: Free → Pro through Checkout (the return page waits for the webhook, then the new limits
 * show everywhere), a cancelled checkout, switching to yearly, cancelling and resuming, a failed
 * payment paid from the portal, and a workspace suspended for non-payment brought back by its
 * owner; with Stripe's webhook lagging the browser, the return pages wait for it. Each test has
 * its own workspace (subscribed through the API where the UI's checkout is not the point).
 * Screenshots and axe-core on each state.
 */
import type { Locator } from 'playwright-core';
import { afterEach, describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, stack, workspaceUrl, type Person, type Workspace } from './support';


/** The Stripe fake's control API (a test's way to make Stripe bill, fail or change a subscription). */
async function fake(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${stack().stripeFakeUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return res.json();
}

async function tenantRow(ws: Workspace): Promise<Record<string, any>> {
  const res = await api.admin('GET', `/api/tenants/${ws.id}`);
  expect(res.status).toBe(200);
  return res.body.tenant;
}

/** A Free workspace whose owner then pays for Pro: Checkout started through the API, paid through the fake's control API. */
async function subscribedWorkspace(name: string): Promise<Workspace> {
  const ws = await api.createWorkspace({ name, plan: 'free' });
  const started = await api.workspace(ws.slug, 'POST', '/api/billing/checkout', { token: ws.token, body: { plan: 'pro', interval: 'monthly' } });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  await fake('POST', `/_fake/checkout/${started.body.checkout.id}/complete`, {});
  await until('the subscription', () => tenantRow(ws), (r) => r.billingPlan === 'pro' && r.subscriptionStatus === 'active');
  return ws;
}

/** Stripe's webhook arriving after the browser is back (the fake's hosted pages redirect first). */
async function webhookLag(ms: number): Promise<void> {
  await fake('POST', '/_fake/hosted-pages', { webhookDelayMs: ms });
}

afterEach(async () => {
  await webhookLag(0);
});

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function openBilling(person: Person, ws: Workspace): Promise<void> {
  await person.page.goto(workspaceUrl(ws.slug, '/billing'));
  await person.page.getByRole('heading', { name: 'Billing and plan' }).waitFor();
  await person.page.getByTestId('current-plan').waitFor();
}

/**
 * "Pay now" in the alert, "Pay the open invoice" on Stripe's portal, and back on /billing the page
 * waiting for Stripe to confirm (the tests delay the webhook, so the wait is seen).
 */
async function payInPortal(owner: Person, alert: Locator): Promise<void> {
  await alert.getByRole('button', { name: 'Pay now' }).click();
  await owner.page.waitForURL((u) => u.href.startsWith(`${stack().stripeFakeUrl}/billing_portal/`));
  await owner.page.getByRole('button', { name: 'Pay the open invoice (test)' }).click();
  await owner.page.getByText('Waiting for Stripe to confirm the payment…').waitFor();
}

const currentPlan = (p: Person) => p.page.getByTestId('current-plan');
const currentLimit = (p: Person, key: string) => p.page.locator(`.plan-current [data-limit="${key}"]`);

describe('billing', () => {
  test('an owner upgrades Free → Pro through Stripe Checkout; the return page shows the new limits', async () => {
    const ws = await api.createWorkspace({ name: 'Billing Co', plan: 'free' });
    const owner = await newPerson('owner');
    await owner.signIn(ws.slug, ws.token);
    await openBilling(owner, ws);
    expect(await currentPlan(owner).textContent()).toBe('Free');
    expect(await currentLimit(owner, 'users').textContent()).toBe('10');
    expect(await currentLimit(owner, 'channels').textContent()).toBe('5');
    await owner.page.getByRole('listitem').filter({ has: owner.page.getByRole('heading', { name: 'Pro' }) }).getByText('$15').waitFor();
    await screenshot(owner.page, 'billing-free');
    await expectNoSeriousA11yViolations(owner.page);

    await owner.page.getByRole('button', { name: 'Upgrade to Pro' }).click();
    await owner.page.waitForURL((u) => u.href.startsWith(`${stack().stripeFakeUrl}/checkout/`));
    await owner.page.getByText(/15\.00 USD per month/).waitFor();
    await screenshot(owner.page, 'billing-stripe-checkout');
    await owner.page.getByRole('button', { name: 'Pay (test)' }).click();

    // Back on /billing?checkout=success: confirmed, and the URL forgets the outcome.
    await owner.page.getByText('Welcome to Pro.').waitFor();
    expect(new URL(owner.page.url()).pathname + new URL(owner.page.url()).search).toBe('/billing');
    expect(await currentPlan(owner).textContent()).toBe('Pro');
    await owner.page.getByText('$15 a month').waitFor();
    await owner.page.getByText('Active', { exact: true }).waitFor();
    // The app's own idea of the plan was reloaded: the limits it shows are Pro's.
    expect(await currentLimit(owner, 'users').textContent()).toBe('100');
    expect(await currentLimit(owner, 'channels').textContent()).toBe('50');
    await screenshot(owner.page, 'billing-pro-confirmed');
    await expectNoSeriousA11yViolations(owner.page);

    const row = await tenantRow(ws);
    expect(row).toMatchObject({ billingPlan: 'pro', billingInterval: 'monthly', subscriptionStatus: 'active' });
    const tenant = (await api.workspace(ws.slug, 'GET', '/api/tenant')).body.tenant;
    expect(tenant.limits.users).toBe(100);

    // The members page counts seats against Pro's 100.
    await owner.page.getByRole('link', { name: 'Members' }).click();
    await owner.page.getByText('1 of 100 seats used').waitFor();
    owner.expectNoErrors();
  });

  test('a cancelled checkout comes back saying nothing was charged', async () => {
    const other = await api.createWorkspace({ name: 'Cancel Co', plan: 'free' });
    const owner = await newPerson('owner');
    await owner.signIn(other.slug, other.token);
    // From the chat, through the account menu.
    await owner.page.goto(workspaceUrl(other.slug, '/'));
    await owner.page.getByRole('button', { name: 'Your account' }).click();
    await owner.page.getByRole('menuitem', { name: 'Billing and plan' }).click();
    await owner.page.getByRole('heading', { name: 'Billing and plan' }).waitFor();
    await owner.page.getByRole('radio', { name: /Yearly/ }).check();
    await owner.page.getByRole('button', { name: 'Upgrade to Enterprise' }).click();
    await owner.page.waitForURL((u) => u.href.startsWith(`${stack().stripeFakeUrl}/checkout/`));
    await owner.page.getByText(/990\.00 USD per year/).waitFor();
    await owner.page.getByRole('link', { name: 'Cancel' }).click();
    await owner.page.getByText('Checkout was cancelled: nothing was charged and the plan is unchanged.').waitFor();
    expect(await currentPlan(owner).textContent()).toBe('Free');
    expect(new URL(owner.page.url()).search).toBe('');
    const row = (await api.admin('GET', `/api/tenants/${other.id}`)).body.tenant;
    expect(row).toMatchObject({ billingPlan: 'free', stripeSubscriptionId: null });
    owner.expectNoErrors();
  });

  test("when Stripe's webhook lags the browser, the checkout return page waits for it", async () => {
    const ws = await api.createWorkspace({ name: 'Lag Co', plan: 'free' });
    const owner = await newPerson('owner');
    await owner.signIn(ws.slug, ws.token);
    await openBilling(owner, ws);
    await webhookLag(2_500);
    await owner.page.getByRole('button', { name: 'Upgrade to Pro' }).click();
    await owner.page.waitForURL((u) => u.href.startsWith(`${stack().stripeFakeUrl}/checkout/`));
    await owner.page.getByRole('button', { name: 'Pay (test)' }).click();
    await owner.page.getByText('Payment received. Waiting for Stripe to confirm the subscription…').waitFor();
    // Not yet: the plan is still Free while Stripe has not said otherwise.
    expect(await currentPlan(owner).textContent()).toBe('Free');
    expect((await tenantRow(ws)).billingPlan).toBe('free');
    await screenshot(owner.page, 'billing-waiting-for-webhook');
    await owner.page.getByText('Welcome to Pro.').waitFor({ timeout: 20_000 });
    expect(await currentPlan(owner).textContent()).toBe('Pro');
    expect(await currentLimit(owner, 'users').textContent()).toBe('100');
    owner.expectNoErrors();
  });

  test('a Pro subscriber switches to yearly, cancels at the period end and resumes', async () => {
    const ws = await subscribedWorkspace('Switch Co');
    const owner = await newPerson('owner');
    await owner.signIn(ws.slug, ws.token);
    await openBilling(owner, ws);
    await owner.page.getByRole('heading', { name: 'Change plan' }).waitFor();
    await owner.page.getByRole('radio', { name: 'Yearly (save 17%)' }).check();
    const pro = owner.page.getByRole('listitem').filter({ has: owner.page.getByRole('heading', { name: 'Pro', exact: true }) });
    await pro.getByRole('button', { name: 'Switch to Pro' }).click();
    await pro.getByText(/Switch to Pro, billed yearly\?/).waitFor();
    await pro.getByRole('button', { name: 'Switch to Pro' }).click();
    await owner.page.getByText('Stripe confirmed Pro (yearly).').waitFor();
    await owner.page.getByText('$150 a year').waitFor();
    expect(await tenantRow(ws)).toMatchObject({ billingPlan: 'pro', billingInterval: 'yearly' });

    await owner.page.getByRole('button', { name: 'Cancel subscription…' }).click();
    await owner.page.getByRole('button', { name: 'Cancel subscription', exact: true }).click();
    await owner.page.getByText(/The subscription is cancelled: the workspace keeps Pro until/).waitFor();
    expect(await tenantRow(ws)).toMatchObject({ cancelAtPeriodEnd: true, billingPlan: 'pro' });
    await screenshot(owner.page, 'billing-cancelled-at-period-end');
    await expectNoSeriousA11yViolations(owner.page);

    await owner.page.getByRole('button', { name: 'Resume subscription' }).click();
    await owner.page.getByText('Stripe confirmed the resumed subscription.').waitFor();
    await owner.page.getByRole('button', { name: 'Cancel subscription…' }).waitFor();
    expect(await tenantRow(ws)).toMatchObject({ cancelAtPeriodEnd: false });
    owner.expectNoErrors();
  });

  test('at phone width the page fits the screen', async () => {
    const ws = await subscribedWorkspace('Phone Co');
    const owner = await newPerson('owner', { viewport: 'mobile' });
    await owner.signIn(ws.slug, ws.token);
    await openBilling(owner, ws);
    await owner.page.getByRole('heading', { name: 'Change plan' }).waitFor();
    expect(await owner.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
    await screenshot(owner.page, 'billing-mobile');
    await expectNoSeriousA11yViolations(owner.page);
  });

  test('a failed payment is explained with a pay button; paying in the portal clears it, once Stripe says so', async () => {
    const ws = await subscribedWorkspace('Overdue Co');
    const { stripeSubscriptionId } = await tenantRow(ws);
    await fake('POST', `/_fake/subscriptions/${stripeSubscriptionId}/invoice`, { paid: false });
    await until('past due', () => tenantRow(ws), (r) => r.subscriptionStatus === 'past_due');

    const owner = await newPerson('owner');
    await owner.signIn(ws.slug, ws.token);
    await openBilling(owner, ws);
    const alert = owner.page.getByRole('alert').filter({ hasText: 'The last payment did not go through.' });
    await alert.waitFor();
    await alert.getByText(/If it is not paid by .+, the workspace is suspended until it is\./).waitFor();
    await owner.page.getByText('Payment overdue', { exact: true }).waitFor();
    await screenshot(owner.page, 'billing-past-due');
    await expectNoSeriousA11yViolations(owner.page);

    // Stripe's webhook comes 2.5 s after the browser is back: the page waits for it.
    await webhookLag(2_500);
    await payInPortal(owner, alert);
    expect(new URL(owner.page.url()).search).toBe('');
    await owner.page.getByText('Billing is up to date.').waitFor({ timeout: 20_000 });
    await owner.page.getByText('Active', { exact: true }).waitFor();
    expect(await owner.page.getByText('The last payment did not go through.').count()).toBe(0);
    expect(await tenantRow(ws)).toMatchObject({ subscriptionStatus: 'active', pastDueSince: null });
    owner.expectNoErrors();
  });

  test('a workspace suspended for non-payment: members see why, the owner signs in, pays, and it reopens', async () => {
    const ws = await subscribedWorkspace('Unpaid Co');
    const bob = await api.addMember(ws, { name: 'Bob Payless' });
    const { stripeSubscriptionId } = await tenantRow(ws);
    await fake('POST', `/_fake/subscriptions/${stripeSubscriptionId}`, { status: 'unpaid' });
    await until('suspension', () => tenantRow(ws), (r) => r.status === 'suspended');

    // A member is told the workspace is suspended for billing, and who can fix it.
    const member = await newPerson('bob');
    await member.signIn(ws.slug, bob.token);
    await member.page.goto(workspaceUrl(ws.slug, '/'));
    await member.page.getByRole('heading', { name: 'This workspace is suspended' }).waitFor();
    await member.page.getByText(/suspended because a payment did not go through/).waitFor();
    await member.page.getByText('A workspace owner or admin can pay the open invoice and bring it back; please let them know.').waitFor();

    // The owner, signed out, signs in from that page and lands on billing.
    const owner = await newPerson('owner');
    await owner.page.goto(workspaceUrl(ws.slug, '/'));
    await owner.page.getByRole('link', { name: 'Owner sign-in' }).click();
    await owner.page.getByLabel('Email').fill(ws.owner.email);
    await owner.page.getByLabel('Password').fill(ws.owner.password);
    await owner.page.getByRole('button', { name: 'Sign in' }).click();
    const alert = owner.page.getByRole('alert').filter({ hasText: 'The workspace is suspended because its subscription is not paid.' });
    await alert.waitFor();
    // Suspended, paying is the one thing offered: no plan changes, no cancelling.
    expect(await owner.page.getByRole('heading', { name: 'Change plan' }).count()).toBe(0);
    expect(await owner.page.getByRole('button', { name: 'Cancel subscription…' }).count()).toBe(0);
    await screenshot(owner.page, 'billing-suspended');
    await expectNoSeriousA11yViolations(owner.page);

    // The webhook lags: back from the portal the workspace is still suspended, and the page waits.
    await webhookLag(2_500);
    await payInPortal(owner, alert);
    expect(await owner.page.getByRole('navigation', { name: 'Workspace admin' }).count()).toBe(0);
    // Confirmed: open again, the billing page in the admin shell with its menu, without a reload.
    await owner.page.getByRole('navigation', { name: 'Workspace admin' }).waitFor({ timeout: 20_000 });
    await owner.page.getByText('Active', { exact: true }).waitFor();
    expect(await tenantRow(ws)).toMatchObject({ status: 'active', subscriptionStatus: 'active' });

    await member.page.reload();
    await member.page.getByRole('navigation', { name: 'Channels and direct messages' }).waitFor();
    owner.expectNoErrors({ ignore: [{ status: 403 }] });
  });
});
