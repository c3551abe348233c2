/**
 * The workspace admin's members page, as an owner uses it: the seat count against the plan,
 * inviting by e-mail with the link to copy, the Free plan's limit refused and explained, a role
 * change, deactivation and reactivation, revoking an invitation. Screenshots and axe-core.
 */
import { describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, workspaceUrl, type ViewportName } from './support';

describe.each<ViewportName>(['desktop', 'mobile'])('members page at %s width', (viewport) => {
  test('an owner invites up to the Free plan limit, sees the refusal explained, and manages people', async () => {
    const ws = await api.createWorkspace({ name: `Members ${viewport}`, plan: 'free' });
    const bob = await api.addMember(ws, { name: 'Bob Stone' });
    // Free allows 10 seats: the owner, Bob, and 7 open invitations leave one.
    for (let i = 0; i < 7; i++) {
      const res = await api.workspace(ws.slug, 'POST', '/api/invitations', { token: ws.token, body: { email: `invitee${i}@${ws.slug}.test`, role: 'member' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const owner = await newPerson('owner', { viewport });
    await owner.signIn(ws.slug, ws.token);
    await owner.page.goto(workspaceUrl(ws.slug, '/admin'));
    await owner.page.getByRole('heading', { name: 'Members' }).waitFor();
    await owner.page.getByText('9 of 10 seats used').waitFor();
    // Nothing is wider than the screen (a phone would zoom the whole page out).
    expect(await owner.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);

    // The last seat: the invitation link is shown to copy.
    await owner.page.getByLabel('Invite by e-mail').fill(`last@${ws.slug}.test`);
    await owner.page.getByRole('button', { name: 'Send invitation' }).click();
    await owner.page.getByText(/If no e-mail arrives, send them this link/).waitFor();
    expect(await owner.page.locator('.invite-link').textContent()).toMatch(/\/invite\//);
    await owner.page.getByText('10 of 10 seats used').waitFor();

    // One more: refused, and why.
    await owner.page.getByLabel('Invite by e-mail').fill(`toomany@${ws.slug}.test`);
    await owner.page.getByRole('button', { name: 'Send invitation' }).click();
    await owner.page.getByText('Plan limit reached.').waitFor();
    await owner.page.getByRole('link', { name: 'Upgrade plan' }).waitFor();
    await screenshot(owner.page, `admin-members-limit-${viewport}`);
    await expectNoSeriousA11yViolations(owner.page);

    // Revoking an invitation frees its seat.
    const row = owner.page.getByRole('listitem').filter({ hasText: `invitee0@${ws.slug}.test` });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await owner.page.getByText('9 of 10 seats used').waitFor();

    // Bob becomes an admin, then is deactivated and reactivated.
    await owner.page.getByLabel('Role of Bob Stone').selectOption('admin');
    await owner.page.getByText('Bob Stone is now admin.').waitFor();
    expect((await api.workspace(ws.slug, 'GET', `/api/users/${bob.id}`, { token: ws.token })).body.user.role).toBe('admin');
    const bobRow = owner.page.getByRole('row').filter({ hasText: 'Bob Stone' });
    await bobRow.getByRole('button', { name: 'Deactivate' }).click();
    await bobRow.getByRole('button', { name: 'Reactivate' }).waitFor();
    expect((await api.workspace(ws.slug, 'GET', `/api/users/${bob.id}`, { token: ws.token })).body.user.status).toBe('deactivated');
    await bobRow.getByRole('button', { name: 'Reactivate' }).click();
    await bobRow.getByRole('button', { name: 'Deactivate' }).waitFor();
    await screenshot(owner.page, `admin-members-${viewport}`);
    owner.expectNoErrors({ ignore: [{ url: /\/api\/invitations$/, status: 402 }] });
  });
});

test('/admin and /admin/members are the members page; any other /admin address says it is not there, inside the admin', async () => {
  const ws = await api.createWorkspace({ name: 'Admin addresses', plan: 'free' });
  const owner = await newPerson('owner');
  await owner.signIn(ws.slug, ws.token);
  const nav = owner.page.getByRole('navigation', { name: 'Workspace admin' });
  const main = owner.page.getByRole('main');

  await owner.page.goto(workspaceUrl(ws.slug, '/admin/typo'));
  await main.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
  // Still the admin (its menu and the way back), with no section open and no members listed.
  await nav.waitFor();
  expect(await nav.locator('[aria-current="page"]').count()).toBe(0);
  expect(await owner.page.getByRole('heading', { name: 'Members' }).count()).toBe(0);
  expect(await owner.page.getByRole('table').count()).toBe(0);
  await expectNoSeriousA11yViolations(owner.page);

  // Its link leads to the admin's home: the members page, the "Members" entry open.
  await main.getByRole('link', { name: 'See the members' }).click();
  await owner.page.waitForURL(workspaceUrl(ws.slug, '/admin'));
  await owner.page.getByRole('region', { name: 'People' }).getByRole('table').waitFor();
  expect(await nav.locator('[aria-current="page"]').allTextContents()).toEqual(['Members']);

  await owner.page.goto(workspaceUrl(ws.slug, '/admin/members'));
  await owner.page.getByRole('region', { name: 'People' }).getByRole('table').waitFor();
  expect(await nav.locator('[aria-current="page"]').allTextContents()).toEqual(['Members']);
  await owner.page.waitForLoadState('networkidle');
  owner.expectNoErrors();
});
