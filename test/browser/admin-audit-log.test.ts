/**
 * The audit log page, as an owner uses it: the entries with actor, action, target, the change
 * and the address; a filter by action; older entries by cursor; the CSV export (every page of
 * the filtered log). A Free workspace is offered the upgrade instead. Screenshots and axe-core.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, workspaceUrl } from './support';

test('an owner reads, filters, pages and exports the audit log', async () => {
  const ws = await api.createWorkspace({ name: 'Audit Pro', plan: 'pro', trial: true });
  const bob = await api.addMember(ws, { name: 'Bob Stone' });
  expect((await api.workspace(ws.slug, 'PUT', `/api/users/${bob.id}/role`, { token: ws.token, body: { role: 'admin' } })).status).toBe(200);
  // More than one page (50) of entries: 55 invitations.
  for (let i = 0; i < 55; i++) {
    const res = await api.workspace(ws.slug, 'POST', '/api/invitations', { token: ws.token, body: { email: `a${i}@${ws.slug}.test`, role: 'member' } });
    expect(res.status).toBe(201);
  }
  // One entry by Bob, now an admin (signed in again: a role change ends the old session).
  const bobNow = await api.signIn(ws.slug, bob.email, bob.password);
  expect((await api.workspace(ws.slug, 'POST', '/api/invitations', { token: bobNow.token, body: { email: `by-bob@${ws.slug}.test`, role: 'member' } })).status).toBe(201);
  const owner = await newPerson('owner');
  await owner.signIn(ws.slug, ws.token);
  await owner.page.goto(workspaceUrl(ws.slug, '/admin/audit-log'));
  await owner.page.getByRole('heading', { name: 'Audit log' }).waitFor();
  const rows = owner.page.getByRole('region', { name: 'Audit log entries' }).locator('tbody tr');
  await expect.poll(() => rows.count()).toBe(50);
  await owner.page.getByRole('button', { name: 'Load older entries' }).click();
  await expect.poll(() => rows.count()).toBeGreaterThan(55);
  await screenshot(owner.page, 'admin-audit-log');
  await expectNoSeriousA11yViolations(owner.page);

  await owner.page.getByLabel('Action').fill('user.role_changed');
  await owner.page.getByRole('button', { name: 'Filter' }).click();
  await expect.poll(() => rows.count()).toBe(1);
  const row = rows.first();
  expect(await row.textContent()).toContain('user.role_changed');
  expect(await row.textContent()).toMatch(/role\s*member\s*→\s*admin/);
  // Actors by name, not id.
  expect(await row.getByRole('cell').nth(1).textContent()).toBe(`${ws.owner.name}${ws.owner.email}`);

  const [download] = await Promise.all([owner.page.waitForEvent('download'), owner.page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-log-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await readFile((await download.path())!, 'utf8');
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toBe('"time","action","actor type","actor id","target type","target id","old values","new values","ip address","request id"');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain('"user.role_changed"');
  expect(lines[1]).toContain('""role"":""admin""');

  // By actor: only what Bob did (joining, signing in, his invitation), named.
  await owner.page.getByLabel('Action').fill('');
  await owner.page.getByLabel('Actor').selectOption({ label: `Bob Stone (${bob.email})` });
  await owner.page.getByRole('button', { name: 'Filter' }).click();
  await expect.poll(() => rows.first().textContent()).toContain(`by-bob@${ws.slug}.test`);
  const actors = await rows.locator('td:nth-child(2)').allTextContents();
  expect(actors.length).toBeGreaterThan(0);
  expect(new Set(actors)).toEqual(new Set([`Bob Stone${bob.email}`]));
  owner.expectNoErrors();
});

test('a Free workspace is offered the upgrade, not a table that would fail', async () => {
  const ws = await api.createWorkspace({ name: 'Audit Free', plan: 'free' });
  const owner = await newPerson('owner');
  await owner.signIn(ws.slug, ws.token);
  await owner.page.goto(workspaceUrl(ws.slug, '/admin/audit-log'));
  await owner.page.getByText('The audit log is not included in this workspace\'s plan.').waitFor();
  await owner.page.getByRole('link', { name: 'See plans' }).waitFor();
  expect(await owner.page.getByRole('button', { name: 'Export CSV' }).count()).toBe(0);
  owner.expectNoErrors();
});
