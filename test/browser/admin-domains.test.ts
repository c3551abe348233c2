/**
 * The workspace admin's custom domains page, as an owner uses it: add a domain (a field error
 * first), the DNS records shown with copy buttons, Cloudflare (the fake) verifying it while the
 * page watches, the domain then serving the workspace, and removing it. A member cannot reach
 * the admin pages. Screenshots and axe-core at desktop and phone width.
 */
import { describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, stack, workspaceUrl, type ViewportName } from './support';

async function setFakeState(hostname: string, state: 'active' | 'moved' | 'failed_verification'): Promise<void> {
  const res = await fetch(`${stack().cloudflareFakeUrl}/_fake/hostnames/${encodeURIComponent(hostname)}/state`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ state }),
  });
  if (!res.ok) throw new Error(`Cloudflare fake: ${res.status} ${await res.text()}`);
}

describe.each<ViewportName>(['desktop', 'mobile'])('custom domains page at %s width', (viewport) => {
  test('an owner adds a domain, sees the records, watches it verify, then removes it', async () => {
    const ws = await api.createWorkspace({ name: `Domains ${viewport}`, plan: 'pro', trial: true });
    const owner = await newPerson('owner', { viewport });
    await owner.signIn(ws.slug, ws.token);
    await owner.page.goto(workspaceUrl(ws.slug, '/admin/domains'));
    await owner.page.getByRole('heading', { name: 'Custom domains' }).waitFor();
    await owner.page.getByText('No custom domains yet.').waitFor();

    // The API's field error, at the field.
    await owner.page.getByLabel('Hostname').fill('chat.example.com');
    await owner.page.getByRole('button', { name: 'Add domain' }).click();
    await owner.page.getByText(/reserved for documentation/).waitFor();

    const hostname = `chat.${ws.slug}.nchat-customer.com`;
    await owner.page.getByLabel('Hostname').fill(hostname);
    await owner.page.getByRole('button', { name: 'Add domain' }).click();
    const card = owner.page.getByRole('article', { name: hostname });
    await card.waitFor();
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Verifying');
    const rows = card.getByRole('row');
    await expect.poll(() => rows.count()).toBe(4); // the header, the CNAME, the ownership TXT, the certificate TXT
    await expect.poll(() => card.getByRole('cell', { name: /customers\.localhost/ }).count()).toBe(1);
    await expect.poll(() => card.getByRole('button', { name: /Copy the CNAME record's value/ }).count()).toBe(1);
    // Nothing is wider than the screen (a phone would zoom the whole page out).
    expect(await owner.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
    await screenshot(owner.page, `admin-domains-pending-${viewport}`);
    await expectNoSeriousA11yViolations(owner.page);

    // Cloudflare verifies it; "Check now" asks (the page also asks by itself every 30 s).
    await setFakeState(hostname, 'active');
    await card.getByRole('button', { name: 'Check now' }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toBe('Active');
    await card.getByText(`Serving this workspace at https://${hostname}`).waitFor();
    await screenshot(owner.page, `admin-domains-active-${viewport}`);
    const served = await api.request(hostname, 'GET', '/api/tenant');
    expect(served.status).toBe(200);
    expect(served.body.tenant.slug).toBe(ws.slug);

    await card.getByRole('button', { name: 'Remove…' }).click();
    await card.getByRole('button', { name: 'Remove', exact: true }).click();
    await owner.page.getByText('No custom domains yet.').waitFor();
    expect((await api.request(hostname, 'GET', '/api/tenant')).status).toBe(404);
    owner.expectNoErrors({ ignore: [{ url: /\/api\/tenant\/domains$/, status: 400 }] });
  });
});

test('a member cannot open the admin pages, by menu or by URL', async () => {
  const ws = await api.createWorkspace({ name: 'Domains members', plan: 'pro', trial: true });
  const member = await api.addMember(ws, { name: 'Mia Member' });
  const person = await newPerson('member');
  await person.signIn(ws.slug, member.token);
  // The chat's account menu has no way in (an owner's has).
  await person.page.goto(workspaceUrl(ws.slug, '/'));
  await person.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  // Leaving the chat while it still loads would abort its requests.
  await person.page.waitForLoadState('networkidle');
  await person.page.getByRole('button', { name: 'Your account' }).click();
  await person.page.getByRole('menuitem', { name: 'Sign out' }).waitFor();
  expect(await person.page.getByRole('menuitem', { name: 'Workspace admin' }).count()).toBe(0);
  expect(await person.page.getByRole('menuitem', { name: 'Billing and plan' }).count()).toBe(0);
  await person.page.keyboard.press('Escape');
  for (const path of ['/admin', '/admin/usage', '/admin/audit-log', '/billing']) {
    await person.page.goto(workspaceUrl(ws.slug, path));
    await person.page.getByText("Only the workspace's owners and admins can open its admin pages.").waitFor();
  }
  await person.page.goto(workspaceUrl(ws.slug, '/admin/domains'));
  await person.page.getByText("Only the workspace's owners and admins can open its admin pages.").waitFor();
  await expect.poll(() => person.page.getByLabel('Hostname').count()).toBe(0);
  person.expectNoErrors();
});
