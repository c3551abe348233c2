/**
 * Errors as a person expects them: a plan limit names the limit (and offers an upgrade to those
 * who may buy), creating or unarchiving alike; a rate limit is waited out and retried by itself,
 * uploads too, with a countdown that counts; a failed request always shows a message (a page of
 * search results too, a field error the form has no field for too); a file too large says the
 * limit; and features the plan lacks are hidden or offered as an upgrade, never a broken button.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, workspaceUrl, type Member, type Workspace } from './support';


let free: Workspace;
let bob: Member;

beforeAll(async () => {
  free = await api.createWorkspace({ name: 'Free Co', plan: 'free' });
  bob = await api.addMember(free, { name: 'Bob Stone' });
  // The free plan allows 5 channels (#general does not count): use them up.
  for (let i = 1; i <= 5; i++) {
    const res = await api.workspace(free.slug, 'POST', '/api/channels', { token: free.token, body: { name: `project-${i}` } });
    expect(res.status, res.text).toBe(201);
  }
});

/** Whether focus is on this element or inside it. */
function holdsFocus(locator: import('playwright-core').Locator): Promise<boolean> {
  return locator.evaluate((el) => {
    const active = (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
    return (el as unknown as { contains(other: unknown): boolean }).contains(active);
  });
}

async function tryCreateChannel(page: import('playwright-core').Page, name: string) {
  await page.getByRole('button', { name: 'Add channels' }).click();
  await page.getByRole('menuitem', { name: 'Create a channel' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a channel' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Create' }).click();
  return dialog;
}

describe('plan limits', () => {
  test('an owner is told which limit was reached and can go to upgrade', async () => {
    const owner = await newPerson('owner');
    await owner.signIn(free.slug, free.token);
    await owner.page.goto(workspaceUrl(free.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    const dialog = await tryCreateChannel(owner.page, 'one-too-many');
    await dialog.getByText('Plan limit reached.').waitFor();
    await dialog.getByText(/5 of 5 channels used/).waitFor();
    await screenshot(owner.page, 'plan-limit-owner');
    await expectNoSeriousA11yViolations(owner.page);
    await dialog.getByRole('link', { name: 'Upgrade plan' }).click();
    await owner.page.getByRole('heading', { name: 'Billing and plan' }).waitFor();
    expect(new URL(owner.page.url()).pathname).toBe('/billing');
    owner.expectNoErrors({ ignore: [{ url: /\/api\/channels$/, status: 402 }] });
  });

  test('a member is told the limit and who can lift it, without an upgrade button', async () => {
    const member = await newPerson('bob');
    await member.signIn(free.slug, bob.token);
    await member.page.goto(workspaceUrl(free.slug, '/'));
    await member.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    const dialog = await tryCreateChannel(member.page, 'one-too-many');
    await dialog.getByText('Plan limit reached.').waitFor();
    await dialog.getByText('Ask a workspace owner or admin to upgrade the plan.').waitFor();
    expect(await dialog.getByRole('link', { name: 'Upgrade plan' }).count()).toBe(0);
    member.expectNoErrors({ ignore: [{ url: /\/api\/channels$/, status: 402 }] });
  });

  test('unarchiving over the channel limit explains the limit and offers the upgrade, as creating does', async () => {
    const list = (await api.workspace(free.slug, 'GET', '/api/channels', { token: free.token })).body.channels as { id: string; name: string }[];
    const fifth = list.find((c) => c.name === 'project-5')!.id;
    expect((await api.workspace(free.slug, 'POST', `/api/channels/${fifth}/archive`, { token: free.token })).status).toBe(200);
    // The freed place is taken again: unarchiving would make six.
    expect((await api.workspace(free.slug, 'POST', '/api/channels', { token: free.token, body: { name: 'project-6' } })).status).toBe(201);
    const owner = await newPerson('owner');
    await owner.signIn(free.slug, free.token);
    await owner.page.goto(workspaceUrl(free.slug, `/c/${fifth}`));
    await owner.page.getByText('This channel is archived').waitFor();
    await owner.page.getByRole('button', { name: 'Unarchive' }).click();
    const notice = owner.page.locator('.composer-bar').getByRole('alert');
    await notice.getByText('Plan limit reached.').waitFor();
    await notice.getByText(/5 of 5 channels used/).waitFor();
    await notice.getByRole('link', { name: 'Upgrade plan' }).waitFor();
    await screenshot(owner.page, 'unarchive-plan-limit');
    await expectNoSeriousA11yViolations(owner.page);
    owner.expectNoErrors({ ignore: [{ url: /\/unarchive$/, status: 402 }] });
  });
});

describe('features the plan lacks', () => {
  test('search is an upgrade prompt for the owner and not shown to a member', async () => {
    const owner = await newPerson('owner');
    await owner.signIn(free.slug, free.token);
    await owner.page.goto(workspaceUrl(free.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    expect(await owner.page.getByRole('searchbox').count()).toBe(0);
    await owner.page.getByRole('button', { name: 'Search (not in your plan)' }).click();
    await owner.page.getByText('Message search is not included in this workspace\'s plan.').waitFor();
    await owner.page.getByRole('link', { name: 'See plans' }).waitFor();
    // A dialog: focus goes into it; Escape closes it and gives focus back to its button.
    const upsell = owner.page.getByRole('dialog', { name: 'Search needs an upgrade' });
    await expect.poll(() => holdsFocus(upsell)).toBe(true);
    await screenshot(owner.page, 'search-upsell');
    await expectNoSeriousA11yViolations(owner.page);
    await owner.page.keyboard.press('Escape');
    await upsell.waitFor({ state: 'detached' });
    expect(await holdsFocus(owner.page.getByRole('button', { name: 'Search (not in your plan)' }))).toBe(true);

    const member = await newPerson('bob');
    await member.signIn(free.slug, bob.token);
    await member.page.goto(workspaceUrl(free.slug, '/'));
    await member.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    expect(await member.page.getByRole('searchbox').count()).toBe(0);
    expect(await member.page.getByRole('button', { name: /Search/ }).count()).toBe(0);
    owner.expectNoErrors();
    member.expectNoErrors();
  });
});

describe('failures people see', () => {
  test('a 429 is waited out (Retry-After) and retried by itself', async () => {
    const pro = await api.createWorkspace({ name: 'Busy Co', plan: 'pro', trial: true });
    const owner = await newPerson('owner');
    await owner.signIn(pro.slug, pro.token);
    let refused = 0;
    await owner.page.route('**/api/channels', async (route) => {
      if (route.request().method() === 'POST' && refused === 0) {
        refused++;
        await route.fulfill({
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': '2' },
          body: JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests.', details: { retryAfterSeconds: 2 }, requestId: 'test' } }),
        });
        return;
      }
      await route.continue();
    });
    await owner.page.goto(workspaceUrl(pro.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    const started = Date.now();
    await tryCreateChannel(owner.page, 'after-the-wait');
    await owner.page.getByText(/Slowing down: too many requests at once\. Retrying in 2 s/).waitFor();
    // The wait counts down as it passes.
    await owner.page.getByText(/Slowing down: too many requests at once\. Retrying in 1 s/).waitFor();
    await owner.page.getByRole('heading', { name: 'after-the-wait', level: 1 }).waitFor();
    expect(refused).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    owner.expectNoErrors({ ignore: [{ url: /\/api\/channels$/, status: 429 }] });
  });

  test('an upload that meets a rate limit is waited out and sent again by itself', async () => {
    const pro = await api.createWorkspace({ name: 'Upload Co', plan: 'pro', trial: true });
    const owner = await newPerson('owner');
    await owner.signIn(pro.slug, pro.token);
    let refused = 0;
    await owner.page.route('**/api/channels/*/attachments*', async (route) => {
      if (refused === 0) {
        refused++;
        // The wait only in the body's details, as the room and some routes give it.
        await route.fulfill({ status: 429, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests.', details: { retryAfterSeconds: 1 }, requestId: 'test' } }) });
        return;
      }
      await route.continue();
    });
    await owner.page.goto(workspaceUrl(pro.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await owner.page.locator('.channel-pane input[type="file"]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('meeting notes') });
    await owner.page.getByText(/Slowing down: too many requests at once/).waitFor();
    await owner.page.getByRole('button', { name: 'Remove notes.txt' }).waitFor(); // uploaded
    expect(await owner.page.locator('.upload.failed').count()).toBe(0);
    expect(refused).toBe(1);
    owner.expectNoErrors({ ignore: [{ url: /attachments/, status: 429 }] });
  });

  test('a page of search results that fails to load says so, and can be asked for again', async () => {
    const pro = await api.createWorkspace({ name: 'Search Co', plan: 'pro', trial: true });
    const general = (await api.workspace(pro.slug, 'GET', '/api/channels', { token: pro.token })).body.channels.find((c: { name: string }) => c.name === 'general').id;
    for (let i = 1; i <= 25; i++) await api.workspace(pro.slug, 'POST', `/api/channels/${general}/messages`, { token: pro.token, body: { text: `needle number ${i}` } });
    const owner = await newPerson('owner');
    await owner.signIn(pro.slug, pro.token);
    let failNext = true;
    await owner.page.route('**/api/search?*', async (route) => {
      if (new URL(route.request().url()).searchParams.has('cursor') && failNext) {
        failNext = false;
        await route.fulfill({ status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'unavailable', message: 'The service is briefly unavailable.', requestId: 't' } }) });
        return;
      }
      await route.continue();
    });
    await owner.page.goto(workspaceUrl(pro.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    const box = owner.page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('needle');
    await box.press('Enter');
    const panel = owner.page.getByRole('complementary', { name: 'Search' });
    await expect.poll(() => panel.locator('.search-result').count()).toBe(20);
    await panel.getByRole('button', { name: 'More results' }).click();
    await panel.getByRole('alert').filter({ hasText: 'Could not load more results: The service is briefly unavailable.' }).waitFor();
    await panel.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => panel.locator('.search-result').count()).toBe(25);
    expect(await panel.getByRole('alert').count()).toBe(0);
    owner.expectNoErrors({ ignore: [{ url: /\/api\/search/, status: 503 }] });
  });

  test('a field error for a field the form does not show is shown above the form', async () => {
    const owner = await newPerson('owner');
    await owner.signIn(free.slug, free.token);
    await owner.page.route('**/api/channels', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fulfill({
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: { code: 'validation_failed', message: 'Invalid input.', details: { issues: [{ path: 'kind', message: 'Choose public or private' }] }, requestId: 't' } }),
      });
    });
    await owner.page.goto(workspaceUrl(free.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    const dialog = await tryCreateChannel(owner.page, 'with-a-bad-kind');
    await dialog.getByRole('alert').filter({ hasText: 'kind: Choose public or private' }).waitFor();
    owner.expectNoErrors({ ignore: [{ url: /\/api\/channels$/, status: 400 }] });
  });

  test('a request that fails shows a message, and an optimistic reaction is undone', async () => {
    const owner = await newPerson('owner');
    await owner.signIn(free.slug, free.token);
    const general = (await api.workspace(free.slug, 'GET', '/api/channels', { token: free.token })).body.channels.find((c: { name: string }) => c.name === 'general').id;
    await api.workspace(free.slug, 'POST', `/api/channels/${general}/messages`, { token: bob.token, body: { text: 'React to this one' } });
    await owner.page.route('**/api/messages/*/reactions', (route) =>
      route.fulfill({ status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'unavailable', message: 'The service is briefly unavailable.', requestId: 't' } }) }),
    );
    await owner.page.goto(workspaceUrl(free.slug, '/'));
    const msg = owner.page.locator('article.message', { hasText: 'React to this one' });
    await msg.hover();
    await msg.getByRole('button', { name: 'Add reaction' }).click();
    await owner.page.getByRole('button', { name: 'React with thumbs up' }).click();
    await owner.page.getByRole('alert').filter({ hasText: 'Could not react: The service is briefly unavailable.' }).waitFor();
    await expect.poll(() => msg.getByRole('button', { name: /thumbs up/ }).count()).toBe(0);
    await screenshot(owner.page, 'failed-request-toast');
    owner.expectNoErrors({ ignore: [{ url: /reactions$/, status: 503 }] });
  });

  test('a file over the plan’s upload size is refused with the limit, in the composer', async () => {
    const owner = await newPerson('owner');
    await owner.signIn(free.slug, free.token);
    await owner.page.goto(workspaceUrl(free.slug, '/'));
    await owner.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await owner.page.locator('.channel-pane input[type="file"]').setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(11 * 1024 * 1024) });
    await owner.page.locator('.upload.failed').getByRole('alert').filter({ hasText: /10 Mi?B allowed/ }).waitFor();
    await screenshot(owner.page, 'upload-too-large');
    owner.expectNoErrors({ ignore: [{ url: /attachments/, status: 413 }, { kind: 'requestfailed', url: /attachments/ }] });
  });
});
