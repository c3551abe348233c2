/**
 * Errors as a person expects them: a plan limit names the limit (and offers an upgrade to those
 * who may buy), a rate limit is waited out and retried by itself, a failed request always shows
 * a message, a file too large says the limit, and features the plan lacks are hidden or offered
 * as an upgrade, never a broken button.
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
    await owner.page.getByRole('heading', { name: 'Billing' }).waitFor();
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
    await screenshot(owner.page, 'search-upsell');

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
    await owner.page.getByText(/Slowing down: too many requests at once\. Retrying in/).waitFor();
    await owner.page.getByRole('heading', { name: 'after-the-wait', level: 1 }).waitFor();
    expect(refused).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    owner.expectNoErrors({ ignore: [{ url: /\/api\/channels$/, status: 429 }] });
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
