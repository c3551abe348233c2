/**
 * The operator console (/operator on the platform host), as a platform operator uses it: signing
 * in with the admin token (a wrong one first), which no script can read afterwards; finding
 * tenants by slug, owner e-mail and custom domain; a tenant's page; suspending one with a reason,
 * which sends a member who has its chat open to the suspension page, and lifting it; deleting
 * (with the purge date shown), restoring and purging one; usage across tenants sorted by
 * clicked columns; signing out. Screenshots and axe-core on every page, at desktop and 375 px.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, platformUrl, screenshot, stack, uniqueSlug, workspaceUrl, type Member, type Person, type ViewportName, type Workspace } from './support';

let target: Workspace;
let bob: Member;
let channelId: string;
let domain: string;
const ownerEmail = `${uniqueSlug('ops-owner')}@owners.example.org`;

beforeAll(async () => {
  target = await api.createWorkspace({ name: 'Operator Target', slug: uniqueSlug('opc'), ownerEmail, plan: 'pro', trial: true });
  bob = await api.addMember(target, { name: 'Bob Member' });
  const channel = await api.workspace(target.slug, 'POST', '/api/channels', { token: target.token, body: { name: 'general-ops', memberIds: [bob.id] } });
  expect(channel.status, channel.text).toBe(201);
  channelId = channel.body.channel.id;
  // A custom domain, added as the owner would (Cloudflare's fake has it pending verification).
  domain = `chat.${target.slug}.operator-customer.com`;
  const added = await api.workspace(target.slug, 'POST', '/api/tenant/domains', { token: target.token, body: { hostname: domain } });
  expect(added.status, added.text).toBe(201);
});

/** No horizontal scrolling: a phone would zoom the whole page out. */
async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
}

async function look(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await expectNoSeriousA11yViolations(page);
}

/** An operator, signed in through the console's own sign-in page. */
async function signedInOperator(viewport: ViewportName = 'desktop'): Promise<Person> {
  const operator = await newPerson('operator', { viewport });
  await operator.page.goto(platformUrl('/operator'));
  await operator.page.getByLabel('Platform admin token').fill(stack().adminToken);
  await operator.page.getByRole('button', { name: 'Sign in' }).click();
  // The list loaded (so that going elsewhere next does not cancel its request).
  await operator.page.getByRole('region', { name: 'Tenant list' }).waitFor();
  return operator;
}

async function search(page: Page, text: string): Promise<void> {
  await page.getByRole('searchbox', { name: 'Search' }).fill(text);
  await page.getByRole('button', { name: 'Search' }).click();
}

/** The workspace names the tenants table lists. */
async function listedNames(page: Page): Promise<string[]> {
  return page.getByRole('region', { name: 'Tenant list' }).getByRole('row').locator('td:first-child a').allTextContents();
}

test('an operator signs in (a wrong token first), and the token is nowhere a script can read', async () => {
  const operator = await newPerson('operator');
  await operator.page.goto(platformUrl('/operator'));
  await operator.page.getByRole('heading', { name: 'Operator console' }).waitFor();
  await look(operator.page, 'operator-sign-in');

  await operator.page.getByLabel('Platform admin token').fill('not-the-admin-token-0123456789');
  await operator.page.getByRole('button', { name: 'Sign in' }).click();
  await operator.page.getByText('That is not the platform admin token.').waitFor();
  // The wrong token is not kept in the field either.
  expect(await operator.page.getByLabel('Platform admin token').inputValue()).toBe('');
  await look(operator.page, 'operator-sign-in-wrong-token');

  const token = stack().adminToken;
  await operator.page.getByLabel('Platform admin token').fill(token);
  await operator.page.getByRole('button', { name: 'Sign in' }).click();
  await operator.page.getByRole('heading', { name: 'Tenants' }).waitFor();

  // What a script on the page (or any other site) could read: none of it holds the token or the session.
  const readable = (await operator.page.evaluate(`JSON.stringify({
    cookie: document.cookie,
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
  })`)) as string;
  expect(readable).not.toContain(token);
  expect(JSON.parse(readable).cookie).not.toContain('nchat_operator');
  // The browser holds a session cookie, not the token: HttpOnly, SameSite=Strict, API paths only.
  const cookies = await operator.context.cookies();
  const session = cookies.find((c) => c.name === 'nchat_operator');
  expect(session).toMatchObject({ domain: 'localhost', path: '/api', httpOnly: true, secure: true, sameSite: 'Strict' });
  expect(session!.value).not.toContain(token);
  expect(cookies.some((c) => c.value.includes(token))).toBe(false);

  // A reload keeps the operator signed in (the cookie), without the token being asked again.
  await operator.page.getByRole('region', { name: 'Tenant list' }).waitFor();
  await operator.page.reload();
  await operator.page.getByRole('region', { name: 'Tenant list' }).waitFor();
  // The wrong token's answer.
  operator.expectNoErrors({ ignore: [{ url: /\/api\/admin\/session$/, status: 401, text: /^POST / }] });
});

describe.each<ViewportName>(['desktop', 'mobile'])('at %s width', (viewport) => {
  test('finds a tenant by slug, owner e-mail and custom domain, and opens its page', async () => {
    const operator = await signedInOperator(viewport);
    await look(operator.page, `operator-tenants-${viewport}`);
    await expectNoHorizontalOverflow(operator.page);

    await search(operator.page, target.slug);
    await expect.poll(() => listedNames(operator.page)).toEqual([target.name]);
    await search(operator.page, ownerEmail.toUpperCase());
    await expect.poll(() => listedNames(operator.page)).toEqual([target.name]);
    await search(operator.page, domain);
    await expect.poll(() => listedNames(operator.page)).toEqual([target.name]);
    await look(operator.page, `operator-tenants-search-${viewport}`);
    await expectNoHorizontalOverflow(operator.page);
    // The status filter narrows it: this trial workspace is not suspended.
    await operator.page.getByLabel('Status').selectOption('suspended');
    await operator.page.getByRole('button', { name: 'Search' }).click();
    await operator.page.getByText('No tenant matches.').waitFor();
    expect(new URL(operator.page.url()).searchParams.get('status')).toBe('suspended');
    await operator.page.getByLabel('Status').selectOption('');
    await operator.page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => listedNames(operator.page)).toEqual([target.name]);

    await operator.page.getByRole('link', { name: target.name }).click();
    await operator.page.getByRole('heading', { name: target.name, level: 1 }).waitFor();
    expect(new URL(operator.page.url()).pathname).toBe(`/operator/tenants/${target.id}`);
    const main = operator.page.getByRole('main');
    await main.getByText(ownerEmail).waitFor();
    await main.getByRole('article', { name: 'Plan' }).getByText('Pro').waitFor();
    await main.getByRole('article', { name: 'Plan' }).getByText(/^ends /).waitFor();
    await main.getByRole('article', { name: 'Billing' }).getByText('None').first().waitFor();
    await expect.poll(() => main.getByRole('meter').count()).toBe(4);
    const domains = main.getByRole('region', { name: 'Custom domains' });
    await domains.getByRole('cell', { name: domain }).waitFor();
    await domains.getByText('Verifying').waitFor();
    await look(operator.page, `operator-tenant-${viewport}`);
    await expectNoHorizontalOverflow(operator.page);

    // Back to the list: the search is still there (it is in the address).
    await operator.page.goBack();
    await expect.poll(() => listedNames(operator.page)).toEqual([target.name]);
    expect(await operator.page.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe(domain);
    operator.expectNoErrors();
  });

  test('usage across tenants sorts by the column whose header is clicked', async () => {
    // The newest tenants, created in this order: sorting by "Created" puts them first.
    const newest = [];
    for (const n of [1, 2, 3]) newest.push(await api.createWorkspace({ name: `Usage sort ${n}`, slug: uniqueSlug(`opu${n}`) }));
    const operator = await signedInOperator(viewport);
    await operator.page.getByRole('navigation', { name: 'Operator console' }).getByRole('link', { name: 'Usage' }).click();
    await operator.page.getByRole('heading', { name: /^Usage in / }).waitFor();
    const table = operator.page.getByRole('region', { name: 'Usage by tenant' });
    const header = (name: string) => table.getByRole('columnheader', { name });
    const sortOf = (name: string) => header(name).getAttribute('aria-sort');
    // By default: API calls, most first.
    expect(await sortOf('API calls')).toBe('descending');
    expect(await sortOf('Created')).toBe('none');

    await header('Created').getByRole('button').click();
    await expect.poll(() => sortOf('Created')).toBe('descending');
    expect(await sortOf('API calls')).toBe('none');
    const slugs = () => table.locator('tbody tr td:first-child a').allTextContents();
    await expect.poll(async () => (await slugs()).slice(0, 3)).toEqual(newest.map((w) => w.slug).reverse());
    expect(new URL(operator.page.url()).searchParams.get('sort')).toBe('createdAt');

    // The dates in the "Created" column, as the table lists them (in milliseconds).
    const created = async () => (await table.locator('tbody tr td:last-child time').evaluateAll((els) => els.map((e) => (e as any).getAttribute('datetime') as string))).map((d) => Date.parse(d));
    const dates = await created();
    expect(dates.length).toBeGreaterThan(3);
    expect(dates).toEqual([...dates].sort((a, b) => b - a));

    // Again: the other way round, oldest first; the newest are no longer first.
    await header('Created').getByRole('button').click();
    await expect.poll(() => sortOf('Created')).toBe('ascending');
    await expect.poll(async () => (await slugs()).slice(0, 3)).not.toEqual(newest.map((w) => w.slug).reverse());
    const ascending = await created();
    expect(ascending.length).toBeGreaterThan(3);
    expect(ascending.every((d) => Number.isFinite(d))).toBe(true);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(ascending[0]).toBeLessThan(ascending[ascending.length - 1]!);

    // A figure column: the numbers shown go down the table.
    await header('Active people').getByRole('button').click();
    await expect.poll(() => sortOf('Active people')).toBe('descending');
    const column = await table.getByRole('columnheader').allTextContents();
    const index = column.findIndex((t) => t.startsWith('Active people'));
    const figures = async () => (await table.locator(`tbody tr td:nth-child(${index + 1})`).allTextContents()).map((v) => Number(v.replace(/,/g, '')));
    // The header says "descending" as soon as it is clicked; the rows follow when the page of
    // them arrives (a while, on a database holding every earlier test's tenants).
    await expect.poll(async () => {
      const v = await figures();
      return v.length > 3 && v.every((n, i) => i === 0 || v[i - 1]! >= n);
    }).toBe(true);
    await look(operator.page, `operator-usage-${viewport}`);
    await expectNoHorizontalOverflow(operator.page);
    operator.expectNoErrors();
  });
});

test('suspending with a reason sends a member with the chat open to the suspension page; lifting it lets them back', async () => {
  const member = await newPerson('bob');
  await member.signIn(target.slug, bob.token);
  await member.page.goto(workspaceUrl(target.slug, `/c/${channelId}`));
  const composer = member.page.getByRole('textbox', { name: /^Message/ });
  await composer.waitFor();

  const operator = await signedInOperator();
  await operator.page.goto(platformUrl(`/operator/tenants/${target.id}`));
  await operator.page.getByRole('heading', { name: target.name, level: 1 }).waitFor();
  await operator.page.getByRole('button', { name: 'Suspend…' }).click();
  const confirm = operator.page.getByRole('group', { name: `Suspend ${target.name}` });
  // A reason is asked for.
  await confirm.getByRole('button', { name: 'Suspend workspace' }).click();
  await confirm.getByText(/Say why/).waitFor();
  await confirm.getByLabel('Reason').fill('Spam reports under review');
  await look(operator.page, 'operator-suspend-confirm');
  await confirm.getByRole('button', { name: 'Suspend workspace' }).click();
  const status = operator.page.getByRole('article', { name: 'Status' });
  await status.getByText('Suspended', { exact: true }).waitFor();
  await status.getByText('Spam reports under review').waitFor();
  await look(operator.page, 'operator-tenant-suspended');

  // The member's next action (the open chat is told at once: its socket closes) shows the page.
  await member.page.getByRole('heading', { name: 'This workspace is suspended' }).waitFor();
  await screenshot(member.page, 'member-sees-suspension');
  await member.page.reload();
  await member.page.getByRole('heading', { name: 'This workspace is suspended' }).waitFor();
  expect((await api.workspace(target.slug, 'GET', '/api/channels', { token: bob.token })).status).toBe(403);

  await operator.page.getByRole('button', { name: 'Lift suspension…' }).click();
  await operator.page.getByRole('group', { name: `Lift the suspension of ${target.name}` }).getByText('Spam reports under review').waitFor();
  await operator.page.getByRole('button', { name: 'Lift suspension', exact: true }).click();
  await status.getByText('Trial', { exact: true }).waitFor();
  await member.page.reload();
  await composer.waitFor();
  operator.expectNoErrors();
  // While suspended, the member's app was refused (403) by the workspace's API and its socket.
  member.expectNoErrors({ ignore: [{ status: 403 }, { kind: 'requestfailed' }] });
});

test('deleting shows when it will be purged; restoring brings it back; purging takes typing the slug', async () => {
  const doomed = await api.createWorkspace({ name: 'Doomed Workspace', slug: uniqueSlug('opdel') });
  const operator = await signedInOperator();
  await operator.page.goto(platformUrl(`/operator/tenants/${doomed.id}`));
  await operator.page.getByRole('heading', { name: doomed.name, level: 1 }).waitFor();

  await operator.page.getByRole('button', { name: 'Delete…' }).click();
  await operator.page.getByRole('button', { name: 'Delete workspace' }).click();
  const status = operator.page.getByRole('article', { name: 'Status' });
  await status.getByText('Cancelled', { exact: true }).waitFor();
  await status.getByText('Purged for good on').waitFor();
  const purgeOn = await operator.page.getByText(/it is purged for good on/).textContent();
  const deletion = (await api.admin('GET', `/api/tenants/${doomed.id}`)).body.tenant.deletionScheduledAt as string;
  expect(purgeOn).toContain(new Date(deletion).getFullYear().toString());
  expect(Date.parse(deletion)).toBeGreaterThan(Date.now() + 86_400_000);
  expect((await api.workspace(doomed.slug, 'GET', '/api/tenant')).status).toBe(410);
  await look(operator.page, 'operator-tenant-deleted');

  await operator.page.getByRole('button', { name: 'Restore…' }).click();
  await operator.page.getByRole('button', { name: 'Restore workspace' }).click();
  await status.getByText('Active', { exact: true }).waitFor();
  expect((await api.workspace(doomed.slug, 'GET', '/api/tenant')).status).toBe(200);

  await operator.page.getByRole('button', { name: 'Purge now…' }).click();
  const confirm = operator.page.getByRole('group', { name: `Purge ${doomed.name} now` });
  const purge = confirm.getByRole('button', { name: 'Purge for good' });
  expect(await purge.isDisabled()).toBe(true);
  await confirm.getByLabel(/Type the slug/).fill(`${doomed.slug}x`);
  expect(await purge.isDisabled()).toBe(true);
  await confirm.getByLabel(/Type the slug/).fill(doomed.slug);
  await look(operator.page, 'operator-purge-confirm');
  await purge.click();
  await operator.page.getByRole('heading', { name: 'Tenants' }).waitFor();
  await operator.page.getByText(`${doomed.name} (${doomed.slug}) was purged.`).waitFor();
  expect((await api.admin('GET', `/api/tenants/${doomed.id}`)).status).toBe(404);
  expect((await api.workspace(doomed.slug, 'GET', '/api/tenant')).status).toBe(404);
  operator.expectNoErrors();
});

test('an address the console has no page for says so inside the console, with no section open', async () => {
  const operator = await signedInOperator();
  await operator.page.goto(platformUrl('/operator/typo'));
  const main = operator.page.getByRole('main');
  await main.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
  const nav = operator.page.getByRole('navigation', { name: 'Operator console' });
  await nav.waitFor();
  expect(await nav.locator('[aria-current="page"]').count()).toBe(0);
  expect(await operator.page.getByRole('region', { name: 'Tenant list' }).count()).toBe(0);
  await main.getByRole('link', { name: 'See all tenants' }).click();
  await operator.page.getByRole('region', { name: 'Tenant list' }).waitFor();
  expect(await nav.locator('[aria-current="page"]').allTextContents()).toEqual(['Tenants']);
  operator.expectNoErrors();
});

test('signing out ends the session: the console asks for the token again, and the API refuses the browser', async () => {
  const operator = await signedInOperator();
  await operator.page.getByRole('button', { name: 'Sign out' }).click();
  await operator.page.getByRole('heading', { name: 'Operator console' }).waitFor();
  await operator.page.getByText('You are signed out of the operator console.').waitFor();
  expect((await operator.context.cookies()).some((c) => c.name === 'nchat_operator')).toBe(false);
  await operator.page.reload();
  await operator.page.getByLabel('Platform admin token').waitFor();
  const status = await operator.page.evaluate(`fetch('/api/tenants').then((r) => r.status)`);
  expect(status).toBe(401);
  operator.expectNoErrors({ ignore: [{ url: /\/api\/tenants$/, status: 401 }] });
});
