/**
 * Each main page, as people see it: a screenshot at desktop and at phone width (375 px), and
 * axe-core with no serious or critical violation. Plus the pages' own behaviour: live slug
 * checks and the API's field errors on sign-up, the sign-in error, readable pages for unknown,
 * suspended and cancelled workspaces and for a bad invitation link, and the billing page;
 * the landing page's workspace finder takes only a workspace address; a workspace's logo and
 * people's pictures (any URL) are fetched without telling their servers where from.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, platformUrl, screenshot, uniqueSlug, workspaceUrl, type Member, type ViewportName, type Workspace } from './support';


let pro: Workspace;
let bob: Member;
let design: string;

beforeAll(async () => {
  pro = await api.createWorkspace({ name: 'Pages Pro', plan: 'pro', trial: true });
  bob = await api.addMember(pro, { name: 'Bob Stone' });
  const created = await api.workspace(pro.slug, 'POST', '/api/channels', { token: pro.token, body: { name: 'design', topic: 'Pixels and type', memberIds: [bob.id] } });
  design = created.body.channel.id;
  const general = (await api.workspace(pro.slug, 'GET', '/api/channels', { token: pro.token })).body.channels.find((c: { name: string }) => c.name === 'general').id;
  const say = (token: string, channel: string, text: string, parentId?: number) =>
    api.workspace(pro.slug, 'POST', `/api/channels/${channel}/messages`, { token, body: { text, ...(parentId ? { parentId } : {}) } });
  const first = await say(pro.token, general, 'Welcome to the workspace! Say hi to @bobstone 👋');
  await say(bob.token, general, 'Hi everyone, glad to be here.');
  await say(bob.token, general, 'I will post the release notes in #design later today.');
  await say(pro.token, general, 'Thanks, see https://example.com/notes for the draft', undefined);
  await say(bob.token, general, 'Looks good to me', first.body.message.id);
  await api.workspace(pro.slug, 'POST', `/api/messages/${first.body.message.id}/reactions`, { token: bob.token, body: { emoji: '🎉' } });
  await say(pro.token, design, 'Mockups for the new sidebar are ready for review.');
});

async function look(page: Page, name: string, viewport: ViewportName) {
  await screenshot(page, `${name}-${viewport}`);
  await expectNoSeriousA11yViolations(page);
}

describe.each<ViewportName>(['desktop', 'mobile'])('at %s width', (viewport) => {
  test('landing and sign-up on the platform host', async () => {
    const visitor = await newPerson('visitor', { viewport });
    await visitor.page.goto(platformUrl('/'));
    await visitor.page.getByRole('heading', { level: 1 }).waitFor();
    await look(visitor.page, 'landing', viewport);
    await visitor.page.getByRole('link', { name: 'Start for free' }).click();
    await visitor.page.getByRole('heading', { name: 'Create your workspace' }).waitFor();
    await visitor.page.getByLabel('Workspace name').fill('Northwind Traders');
    await visitor.page.getByText(/northwind-traders\.localhost is available\./).waitFor();
    await look(visitor.page, 'signup', viewport);
    visitor.expectNoErrors();
  });

  test('sign-in on a workspace host', async () => {
    const person = await newPerson('person', { viewport });
    await person.page.goto(workspaceUrl(pro.slug, '/'));
    await person.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await look(person.page, 'signin', viewport);
    person.expectNoErrors();
  });

  test('the chat: channel, thread, dialogs', async () => {
    const owner = await newPerson('owner', { viewport });
    await owner.signIn(pro.slug, pro.token);
    await owner.page.goto(workspaceUrl(pro.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await owner.page.locator('.message-text', { hasText: 'Looks good' }).count(); // replies stay in the thread
    expect(await owner.page.locator('.channel-pane .message-text', { hasText: 'Looks good to me' }).count()).toBe(0);
    await owner.page.getByRole('button', { name: '1 reply' }).waitFor();
    await look(owner.page, 'chat', viewport);

    await owner.page.getByRole('button', { name: '1 reply' }).click();
    await owner.page.getByRole('complementary', { name: 'Thread' }).locator('.message-text', { hasText: 'Looks good to me' }).waitFor();
    await look(owner.page, 'chat-thread', viewport);
    await owner.page.getByRole('button', { name: 'Close thread' }).click();

    if (viewport === 'mobile') {
      await owner.page.getByRole('button', { name: 'Show channels' }).click();
      await owner.page.getByRole('navigation', { name: 'Channels and direct messages' }).getByRole('link', { name: /design/ }).waitFor();
      await look(owner.page, 'chat-sidebar', viewport);
      await owner.page.getByRole('link', { name: /Channel design/ }).click();
    } else {
      await owner.page.getByRole('link', { name: /Channel design/ }).click();
    }
    await owner.page.getByRole('heading', { name: 'design', level: 1 }).waitFor();
    await owner.page.locator('.message-text', { hasText: 'Mockups for the new sidebar' }).waitFor();

    if (viewport === 'mobile') await owner.page.getByRole('button', { name: 'Show channels' }).click();
    await owner.page.getByRole('button', { name: 'Add channels' }).click();
    await owner.page.getByRole('menuitem', { name: 'Create a channel' }).click();
    await owner.page.getByRole('dialog', { name: 'Create a channel' }).waitFor();
    await look(owner.page, 'dialog-create-channel', viewport);
    await owner.page.keyboard.press('Escape');
    await owner.page.getByRole('dialog').waitFor({ state: 'detached' });
    owner.expectNoErrors();
  });

  test('search results beside the channel', async () => {
    const owner = await newPerson('owner', { viewport });
    await owner.signIn(pro.slug, pro.token);
    await owner.page.goto(workspaceUrl(pro.slug, `/c/${design}`));
    await owner.page.getByRole('heading', { name: 'design', level: 1 }).waitFor();
    const box = owner.page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('release notes');
    await box.press('Enter');
    const panel = owner.page.getByRole('complementary', { name: 'Search' });
    await panel.getByRole('button', { name: /#general/ }).first().waitFor();
    await look(owner.page, 'search', viewport);
    await panel.getByRole('button', { name: /#general/ }).first().click();
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    owner.expectNoErrors();
  });
});

describe('branding', () => {
  test("the workspace's name and colours are applied, with readable text on a light primary colour", async () => {
    const branded = await api.createWorkspace({ name: 'Sunny Side', plan: 'pro', trial: true });
    const put = await api.admin('PUT', `/api/tenants/${branded.id}`, { body: { branding: { appName: 'Sunny Chat', primaryColor: '#f5d90a', accentColor: '#0e7490' } } });
    expect(put.status, put.text).toBe(200);
    const person = await newPerson('person');
    await person.page.goto(workspaceUrl(branded.slug, '/'));
    await person.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await person.page.getByText('Sunny Chat').first().waitFor();
    expect(await person.page.title()).toBe('Sunny Chat');
    const button = person.page.getByRole('button', { name: 'Sign in' });
    const colours = await button.evaluate((el) => {
      const s = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } }).getComputedStyle(el);
      return { color: s.color, background: s.backgroundColor };
    });
    expect(colours.background).toBe('rgb(245, 217, 10)'); // the workspace's yellow...
    expect(colours.color).toBe('rgb(17, 24, 39)'); // ...with dark text on it, not white
    await look(person.page, 'branded-signin', 'desktop');
    person.expectNoErrors();
  });
});

describe("the landing page's workspace finder", () => {
  test('goes only to a workspace address: anything else (a host of its own) is refused with a reason', async () => {
    const visitor = await newPerson('visitor');
    await visitor.page.goto(platformUrl('/'));
    const finder = visitor.page.getByRole('form', { name: 'Go to your workspace' });
    for (const bad of ['evil.com#', 'a', '-oops', 'two--hyphens']) {
      await finder.getByLabel("Your workspace's address").fill(bad);
      await finder.getByRole('button', { name: 'Sign in' }).click();
      await visitor.page.getByRole('alert').filter({ hasText: 'That is not a workspace address.' }).waitFor();
      expect(new URL(visitor.page.url()).host, bad).toBe(new URL(platformUrl('/')).host);
    }
    await expectNoSeriousA11yViolations(visitor.page);
    await finder.getByLabel("Your workspace's address").fill(pro.slug);
    await finder.getByRole('button', { name: 'Sign in' }).click();
    await visitor.page.waitForURL((u) => u.hostname === `${pro.slug}.localhost` && u.pathname === '/login');
    visitor.expectNoErrors();
  });
});

describe('pictures from elsewhere', () => {
  test("the workspace's logo and a person's picture are asked for without a Referer", async () => {
    const branded = await api.createWorkspace({ name: 'Logo Co', plan: 'pro', trial: true });
    const logoUrl = 'https://pictures.example.test/logo.png';
    const avatarUrl = 'https://pictures.example.test/ada.png';
    const put = await api.admin('PUT', `/api/tenants/${branded.id}`, { body: { branding: { logoUrl } } });
    expect(put.status, put.text).toBe(200);
    const me = await api.workspace(branded.slug, 'PATCH', '/api/me', { token: branded.token, body: { avatarUrl } });
    expect(me.status, me.text).toBe(200);
    const owner = await newPerson('owner');
    const referers = new Map<string, string | null>();
    await owner.context.route('https://pictures.example.test/**', async (route) => {
      const headers = await route.request().allHeaders();
      referers.set(route.request().url(), headers.referer ?? null);
      await route.fulfill({ status: 200, contentType: 'image/png', body: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64') });
    });
    await owner.page.goto(workspaceUrl(branded.slug, '/login'));
    await expect.poll(() => referers.has(logoUrl)).toBe(true);
    // The sign-in page fetches the chat's code ahead; leaving before it has arrived would abort it.
    await owner.page.waitForLoadState('networkidle');
    await owner.signIn(branded.slug, branded.token);
    await owner.page.goto(workspaceUrl(branded.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await expect.poll(() => referers.has(avatarUrl)).toBe(true);
    expect(Object.fromEntries(referers)).toEqual({ [logoUrl]: null, [avatarUrl]: null });
    owner.expectNoErrors();
  });
});

describe('sign-up form', () => {
  test('says live when an address is taken or reserved, and shows the API’s field errors at their fields', async () => {
    const taken = await api.createWorkspace({ name: 'Taken' });
    const visitor = await newPerson('visitor');
    await visitor.page.goto(platformUrl('/signup'));
    const address = visitor.page.getByLabel('Address');
    await address.fill(taken.slug);
    await visitor.page.getByText(/taken/i).first().waitFor();
    await address.fill('admin');
    await visitor.page.getByText(/reserved|cannot be used/i).first().waitFor();
    await address.fill('a-');
    await visitor.page.getByText('Use at least 3 characters.').waitFor();
    await address.fill(uniqueSlug('signup'));
    await visitor.page.getByText(/is available\./).waitFor();
    await visitor.page.getByLabel('Workspace name').fill('Field Errors Inc');
    await visitor.page.getByLabel('Your name').fill('Eve');
    await visitor.page.getByLabel('Work email').fill('not-an-email');
    await visitor.page.getByLabel('Password').fill('x');
    await visitor.page.getByRole('button', { name: 'Create workspace' }).click();
    const email = visitor.page.getByLabel('Work email');
    await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true');
    const described = await email.getAttribute('aria-describedby');
    expect(await visitor.page.locator(`[id="${described!.split(' ').pop()}"]`).innerText()).toMatch(/email/i);
    await screenshot(visitor.page, 'signup-field-errors');
    visitor.expectNoErrors({ ignore: [{ url: /\/api\/tenants\/create$/, status: 400 }] });
  });
});

describe('pages for people who cannot chat (yet)', () => {
  test('wrong password: a sentence, not a code', async () => {
    const person = await newPerson('person');
    await person.page.goto(workspaceUrl(pro.slug, '/login'));
    await person.page.getByLabel('Email').fill(pro.owner.email);
    await person.page.getByLabel('Password').fill('not the password');
    await person.page.getByRole('button', { name: 'Sign in' }).click();
    await person.page.getByRole('alert').getByText('That email and password do not match an account in this workspace.').waitFor();
    await screenshot(person.page, 'signin-error');
    person.expectNoErrors({ ignore: [{ url: /\/api\/auth\/login$/, status: 401 }] });
  });

  test('an unknown workspace, a suspended one and a cancelled one each get a readable page', async () => {
    const person = await newPerson('person');
    await person.page.goto(workspaceUrl(uniqueSlug('nobody'), '/'));
    await person.page.getByRole('heading', { name: 'No workspace here' }).waitFor();
    await look(person.page, 'workspace-unknown', 'desktop');

    const suspended = await api.createWorkspace({ name: 'Suspended Co' });
    const s = await api.admin('POST', `/api/tenants/${suspended.id}/suspend`, { body: { reason: 'Terms of service review' } });
    expect(s.status, s.text).toBe(200);
    await person.page.goto(workspaceUrl(suspended.slug, '/'));
    await person.page.getByRole('heading', { name: 'This workspace is suspended' }).waitFor();
    await look(person.page, 'workspace-suspended', 'desktop');

    const cancelled = await api.createWorkspace({ name: 'Cancelled Co' });
    const d = await api.admin('DELETE', `/api/tenants/${cancelled.id}`);
    expect(d.status, d.text).toBeLessThan(300);
    await person.page.goto(workspaceUrl(cancelled.slug, '/'));
    await person.page.getByRole('heading', { name: 'This workspace was closed' }).waitFor();
    await look(person.page, 'workspace-cancelled', 'desktop');
    expect(await person.page.locator('body').innerText()).not.toMatch(/"error"|tenant_/);
    person.expectNoErrors({ ignore: [{ url: /\/api\/tenant/, status: 404 }, { url: /\/api\/tenant/, status: 403 }, { url: /\/api\/tenant/, status: 410 }] });
  });

  test('a bad invitation link says what happened', async () => {
    const person = await newPerson('person');
    await person.page.goto(workspaceUrl(pro.slug, '/invite/not-a-real-token'));
    await person.page.getByRole('heading', { name: 'Invitation not found' }).waitFor();
    await look(person.page, 'invite-not-found', 'desktop');
    person.expectNoErrors({ ignore: [{ url: /\/preview$/, status: 404 }] });
  });

  test('billing says what the plan is and how long the trial lasts', async () => {
    const owner = await newPerson('owner');
    await owner.signIn(pro.slug, pro.token);
    await owner.page.goto(workspaceUrl(pro.slug, '/billing'));
    await owner.page.getByRole('heading', { name: 'Billing and plan' }).waitFor();
    expect(await owner.page.getByTestId('current-plan').textContent()).toBe('Pro');
    await owner.page.getByText(/^1[34] days left \(ends /).waitFor();
    await look(owner.page, 'billing', 'desktop');
    owner.expectNoErrors();
  });
});
