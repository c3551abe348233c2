/**
 * The workspace admin's settings page, as owners use it: the name, logo and primary colour
 * previewed live app-wide while editing (and dropped when the page is left unsaved), saved, and
 * seen by a member after a reload; the API's field errors at their fields with nothing saved;
 * retention, time zone and the rest saved and shown again after a reload; a Free workspace
 * offered an upgrade for branding but able to rename; the phone layout. Screenshots and axe-core.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, workspaceUrl, type Person, type Workspace } from './support';

/** The logos live on an https host the machine cannot reach: the people's browsers are served this 1×1 PNG for it. */
const LOGO_ORIGIN = 'https://logos.nchat-test.example';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const DEFAULT_BRAND = '#4f46e5';

async function serveLogos(person: Person): Promise<void> {
  await person.context.route(`${LOGO_ORIGIN}/**`, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: PNG }));
}

/** The primary colour the app applied (tenant/branding.ts sets it on the root element). */
function brandColour(page: Page): Promise<string> {
  return page.evaluate<string>("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()");
}

function backgroundOf(locator: Locator): Promise<string> {
  return locator.evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
}

function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

async function openSettings(person: Person, ws: Workspace): Promise<Page> {
  await person.signIn(ws.slug, ws.token);
  await person.page.goto(workspaceUrl(ws.slug, '/admin/settings'));
  await person.page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await person.page.getByLabel('Workspace name').waitFor();
  return person.page;
}

async function save(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Save changes' }).click();
}

async function tenantNow(ws: Workspace) {
  const res = await api.workspace(ws.slug, 'GET', '/api/tenant');
  expect(res.status, res.text).toBe(200);
  return res.body.tenant as { name: string; branding: Record<string, string> };
}

async function settingsNow(ws: Workspace) {
  const res = await api.workspace(ws.slug, 'GET', '/api/tenant/settings', { token: ws.token });
  expect(res.status, res.text).toBe(200);
  return res.body.settings as Record<string, unknown>;
}

/** Nothing is wider than the screen (a phone would zoom the whole page out). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBe(0);
}

describe('settings and branding', () => {
  test('the owner rebrands with a live preview; a member sees the new name, logo and colour after a reload', async () => {
    const ws = await api.createWorkspace({ name: 'Before Branding', plan: 'pro', trial: true });
    const bobAccount = await api.addMember(ws, { name: 'Bob Member' });
    const owner = await newPerson('owner');
    const bob = await newPerson('bob');
    await serveLogos(owner);
    await serveLogos(bob);
    await bob.signIn(ws.slug, bobAccount.token);
    await bob.page.goto(workspaceUrl(ws.slug, '/'));
    await bob.page.getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await brandColour(bob.page)).toBe(DEFAULT_BRAND);

    const page = await openSettings(owner, ws);
    const primary = page.getByLabel('Primary colour', { exact: true });

    // An edit left unsaved is dropped with the page: the app shows the saved branding again.
    await primary.fill('#b91c1c');
    await expect.poll(() => brandColour(page)).toBe('#b91c1c');
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    expect(await brandColour(page)).toBe(DEFAULT_BRAND);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByLabel('Workspace name').waitFor();
    expect(await primary.inputValue()).toBe('');

    // The live preview: header, title, logo and buttons change before anything is saved.
    const logoUrl = `${LOGO_ORIGIN}/${ws.slug}.png`;
    await page.getByLabel('Workspace name').fill('After Branding');
    await page.getByLabel('Logo URL').fill(logoUrl);
    await primary.fill('#0f766e');
    const header = page.locator('.admin-brand');
    await expect.poll(() => header.locator('strong').textContent()).toBe('After Branding');
    await expect.poll(() => brandColour(page)).toBe('#0f766e');
    await expect.poll(() => header.locator('img').getAttribute('src')).toBe(logoUrl);
    await page.getByRole('img', { name: 'Logo preview' }).waitFor();
    expect(await page.title()).toBe('After Branding');
    expect(await backgroundOf(page.getByRole('button', { name: 'Save changes' }))).toBe(rgb('#0f766e'));
    await page.getByText('Unsaved changes: previewed here, not yet seen by anyone else.').waitFor();
    expect((await tenantNow(ws)).name).toBe('Before Branding');
    await screenshot(page, 'settings-live-preview-desktop');
    await expectNoSeriousA11yViolations(page);

    await save(page);
    await page.getByText('Settings saved.').waitFor();
    expect(await tenantNow(ws)).toMatchObject({ name: 'After Branding', branding: { logoUrl, primaryColor: '#0f766e' } });
    // Saved, the app keeps showing it (now from the saved workspace, not the preview).
    expect(await brandColour(page)).toBe('#0f766e');
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await screenshot(page, 'settings-saved-desktop');

    // Bob's browser, after a reload: the new name, logo and colour.
    await bob.page.reload();
    const composer = bob.page.getByRole('textbox', { name: 'Message' });
    await composer.waitFor();
    expect(await bob.page.locator('.sidebar-title strong').textContent()).toBe('After Branding');
    expect(await bob.page.locator('.sidebar-head img').getAttribute('src')).toBe(logoUrl);
    expect(await bob.page.title()).toMatch(/After Branding$/); // '#general · After Branding'
    expect(await brandColour(bob.page)).toBe('#0f766e');
    await composer.fill('the button takes the brand colour once there is text');
    expect(await backgroundOf(bob.page.getByRole('button', { name: 'Send message' }))).toBe(rgb('#0f766e'));
    await screenshot(bob.page, 'member-sees-branding-desktop');

    // Bob is a member: the settings are not his, in the UI or by URL.
    await bob.page.goto(workspaceUrl(ws.slug, '/admin/settings'));
    await bob.page.getByText("Only the workspace's owners and admins can open its admin pages.").waitFor();
    expect(await bob.page.getByLabel('Workspace name').count()).toBe(0);

    owner.expectNoErrors();
    bob.expectNoErrors();
  });

  test("bad values get the API's errors at their fields and nothing is saved; fixed, they save", async () => {
    const ws = await api.createWorkspace({ name: 'Careful Co', plan: 'pro', trial: true });
    const owner = await newPerson('owner');
    const page = await openSettings(owner, ws);
    const logo = page.getByLabel('Logo URL');
    const days = page.getByLabel('Days to keep messages');

    // An http logo would be blocked as mixed content on an https page; 0 days is no retention.
    await logo.fill('http://logos.nchat-test.example/logo.png');
    await page.getByLabel('Delete messages older than').check();
    await days.fill('0');
    await save(page);
    await page.getByText('must be an https URL').waitFor();
    expect(await logo.getAttribute('aria-invalid')).toBe('true');
    expect(await days.getAttribute('aria-invalid')).toBe('true');
    const daysError = page.locator(`#${await days.getAttribute('aria-describedby')}`);
    expect((await daysError.textContent())?.length).toBeGreaterThan(0);
    // The first field at fault has the focus.
    expect(await logo.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
    expect(await tenantNow(ws)).toMatchObject({ name: 'Careful Co', branding: {} });
    expect((await settingsNow(ws)).messageRetentionDays).toBeNull();
    await screenshot(page, 'settings-field-errors-desktop');
    await expectNoSeriousA11yViolations(page);

    // Fixed: the logo removed, 30 days.
    await page.getByRole('button', { name: 'Remove logo' }).click();
    await days.fill('30');
    expect(await logo.getAttribute('aria-invalid')).toBeNull();
    await save(page);
    await page.getByText('Settings saved.').waitFor();
    expect((await settingsNow(ws)).messageRetentionDays).toBe(30);
    expect((await tenantNow(ws)).branding).toEqual({});
    owner.expectNoErrors({ ignore: [{ url: /\/api\/tenant$/, status: 400 }] });
  });

  test('retention, time zone, language and the sign-in rules are saved and shown again after a reload; removing the logo sticks', async () => {
    const ws = await api.createWorkspace({ name: 'Policy Co', plan: 'pro', trial: true });
    const put = await api.workspace(ws.slug, 'PATCH', '/api/tenant', { token: ws.token, body: { branding: { logoUrl: `${LOGO_ORIGIN}/old.png`, accentColor: '#9333ea' } } });
    expect(put.status, put.text).toBe(200);
    const owner = await newPerson('owner');
    await serveLogos(owner);
    const page = await openSettings(owner, ws);

    await page.getByLabel('Delete files older than').check();
    await page.getByLabel('Days to keep files').fill('90');
    await page.getByLabel('Keep the audit log for (days)').fill('730');
    // The long list of time zones is searched, then picked from.
    await page.getByLabel('Search time zones').fill('tokyo');
    await page.getByText('1 time zone matches.').waitFor();
    await page.getByLabel('Time zone', { exact: true }).selectOption('Asia/Tokyo');
    await page.getByLabel('Language', { exact: true }).selectOption('fr');
    await page.getByLabel('Minimum password length').fill('12');
    await page.getByLabel('Passwords must contain a digit').check();
    await page.getByLabel('Sign people out after (minutes)').fill('1440');
    await page.getByText('That is 1 day after signing in', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Remove logo' }).click();
    await page.getByRole('button', { name: 'Use default' }).click(); // the accent colour, the only one set
    await save(page);
    await page.getByText('Settings saved.').waitFor();
    expect(await settingsNow(ws)).toMatchObject({
      fileRetentionDays: 90,
      messageRetentionDays: null,
      auditRetentionDays: 730,
      timezone: 'Asia/Tokyo',
      language: 'fr',
      passwordMinLength: 12,
      passwordRequireDigit: true,
      passwordRequireMixed: false,
      sessionTimeoutMinutes: 1440,
    });
    expect((await tenantNow(ws)).branding).toEqual({});

    await page.reload();
    await page.getByLabel('Workspace name').waitFor();
    expect(await page.getByLabel('Delete files older than').isChecked()).toBe(true);
    expect(await page.getByLabel('Days to keep files').inputValue()).toBe('90');
    expect(await page.getByLabel('Keep forever').first().isChecked()).toBe(true); // messages
    expect(await page.getByLabel('Keep the audit log for (days)').inputValue()).toBe('730');
    expect(await page.getByLabel('Time zone', { exact: true }).inputValue()).toBe('Asia/Tokyo');
    expect(await page.getByLabel('Language', { exact: true }).inputValue()).toBe('fr');
    expect(await page.getByLabel('Minimum password length').inputValue()).toBe('12');
    expect(await page.getByLabel('Passwords must contain a digit').isChecked()).toBe(true);
    expect(await page.getByLabel('Sign people out after (minutes)').inputValue()).toBe('1440');
    expect(await page.getByLabel('Logo URL').inputValue()).toBe('');
    expect(await page.getByLabel('Accent colour', { exact: true }).inputValue()).toBe('');
    expect(await page.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    owner.expectNoErrors();
  });

  test('a Free workspace is offered an upgrade for branding, and can still rename itself', async () => {
    const ws = await api.createWorkspace({ name: 'Free Co', plan: 'free' });
    const owner = await newPerson('owner');
    const page = await openSettings(owner, ws);
    await page.getByText("Custom branding is not included in this workspace's plan.").waitFor();
    await page.getByRole('link', { name: 'See plans' }).waitFor();
    for (const label of ['Logo URL', 'Name shown in the app']) expect(await page.getByLabel(label).isDisabled(), label).toBe(true);
    expect(await page.getByLabel('Primary colour', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Workspace name').isDisabled()).toBe(false);
    await screenshot(page, 'settings-free-plan-desktop');
    await expectNoSeriousA11yViolations(page);

    await page.getByLabel('Workspace name').fill('Free Co Renamed');
    await expect.poll(() => page.locator('.admin-brand strong').textContent()).toBe('Free Co Renamed');
    // The save is held on its way: meanwhile the form cannot be edited or sent again.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      (url) => url.pathname === '/api/tenant',
      async (route) => {
        if (route.request().method() === 'PATCH') await held;
        await route.continue();
      },
    );
    await save(page);
    const saving = page.getByRole('button', { name: 'Saving…' });
    await saving.waitFor();
    expect(await saving.isDisabled()).toBe(true);
    expect(await page.getByLabel('Workspace name').isDisabled()).toBe(true);
    release();
    await page.getByText('Settings saved.').waitFor();
    expect(await page.getByLabel('Workspace name').isDisabled()).toBe(false);
    expect((await tenantNow(ws)).name).toBe('Free Co Renamed');
    owner.expectNoErrors();
  });

  test('at phone width the page fits the screen', async () => {
    const ws = await api.createWorkspace({ name: 'Pocket Co', plan: 'pro', trial: true });
    const owner = await newPerson('owner', { viewport: 'mobile' });
    await serveLogos(owner);
    const page = await openSettings(owner, ws);
    await page.getByLabel('Logo URL').fill(`${LOGO_ORIGIN}/pocket.png`);
    await page.getByLabel('Primary colour', { exact: true }).fill('#c2410c');
    await page.getByRole('img', { name: 'Logo preview' }).waitFor();
    await expect.poll(() => brandColour(page)).toBe('#c2410c');
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'settings-mobile');
    await expectNoSeriousA11yViolations(page);
    owner.expectNoErrors();
  });
});
