/**
 * The main flows with the keyboard alone: sign in, switch channels, send, react, open a thread
 * and reply, close it; move between a thread's replies; delete a message; the sidebar as a
 * drawer on a phone. No mouse event is used (but to open the drawer with a tap); focus is
 * checked to land where a person expects.
 */
import type { Page } from 'playwright-core';
import { beforeAll, expect, test } from 'vitest';
import { api, newPerson, screenshot, workspaceUrl, type Member, type Workspace } from './support';


let ws: Workspace;
let bob: Member;
let general: string;

beforeAll(async () => {
  ws = await api.createWorkspace({ name: 'Keyboard Co', plan: 'pro', trial: true });
  bob = await api.addMember(ws, { name: 'Bob Stone' });
  await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'design', memberIds: [bob.id] } });
  general = (await api.workspace(ws.slug, 'GET', '/api/channels', { token: ws.token })).body.channels.find((c: { name: string }) => c.name === 'general').id;
  await api.workspace(ws.slug, 'POST', `/api/channels/${general}/messages`, { token: ws.token, body: { text: 'Morning! Can someone review the mockups?' } });
});

/** What has focus, described: its role-ish tag and accessible name. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as { document: { activeElement: { tagName: string; getAttribute(n: string): string | null; textContent: string | null } | null } }).document.activeElement;
    if (!el) return 'nothing';
    return `${el.tagName.toLowerCase()} ${el.getAttribute('aria-label') ?? el.getAttribute('placeholder') ?? (el.textContent ?? '').trim().slice(0, 40)}`;
  });
}

test('sign in, switch channel, send, react, open a thread and reply — keyboard only', async () => {
  const { page } = await newPerson('bob');
  const k = page.keyboard;
  await page.goto(workspaceUrl(ws.slug, '/'));
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  // Sign in: the email field has focus; Tab to the password; Enter submits.
  expect(await focused(page)).toMatch(/^input/);
  await k.type(bob.email);
  await k.press('Tab');
  await k.type(bob.password);
  await k.press('Enter');
  await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();

  // The composer has focus when a channel opens: type and send.
  await expect.poll(() => focused(page)).toBe('textarea Message #general');
  await k.type('Hello from the keyboard');
  await k.press('Enter');
  await page.locator('article.message:not(.pending) .message-text', { hasText: 'Hello from the keyboard' }).waitFor();

  // Switch channels: Alt+↓ / Alt+↑.
  await k.press('Alt+ArrowUp');
  await page.getByRole('heading', { name: 'design', level: 1 }).waitFor();
  await expect.poll(() => focused(page)).toBe('textarea Message #design');
  await k.press('Alt+ArrowDown');
  await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();

  // From the composer, Shift+Tab reaches the newest message; ↑ moves to the one before.
  await expect.poll(() => focused(page)).toBe('textarea Message #general');
  await page.locator('article.message:not(.pending) .message-text', { hasText: 'Hello from the keyboard' }).waitFor();
  await k.press('Shift+Tab');
  await expect.poll(() => focused(page)).toMatch(/^article Bob Stone/);
  await k.press('ArrowUp');
  await expect.poll(() => focused(page)).toMatch(/^article Owner/);

  // React: Tab to "Add reaction", Enter opens the picker (focus on the first emoji), Enter picks.
  await k.press('Tab');
  expect(await focused(page)).toBe('button Add reaction');
  await k.press('Enter');
  await expect.poll(() => focused(page)).toBe('button React with thumbs up');
  await k.press('ArrowRight');
  expect(await focused(page)).toBe('button React with heart');
  await k.press('Enter');
  const owners = page.locator('article.message', { hasText: 'Morning! Can someone review' });
  await owners.getByRole('button', { name: /^heart: 1 \(you\)/ }).waitFor();
  expect(await focused(page)).toBe('button Add reaction'); // focus came back to where it was

  // Thread: Tab to "Reply in thread", Enter; the thread's reply box has focus.
  await k.press('Tab');
  expect(await focused(page)).toBe('button Reply in thread');
  await k.press('Enter');
  await page.getByRole('complementary', { name: 'Thread' }).waitFor();
  await expect.poll(() => focused(page)).toBe('textarea Reply in thread');
  await k.type('On it, reviewing now');
  await k.press('Enter');
  await page.getByRole('complementary', { name: 'Thread' }).locator('article.message:not(.pending) .message-text', { hasText: 'On it, reviewing now' }).waitFor();
  await owners.getByRole('button', { name: /1 reply/ }).waitFor();
  await screenshot(page, 'keyboard-thread');

  // Escape closes the thread and puts focus back in the channel's composer.
  await k.press('Escape');
  await page.getByRole('complementary', { name: 'Thread' }).waitFor({ state: 'detached' });
  await expect.poll(() => focused(page)).toBe('textarea Message #general');
});

/** The id of the message whose article has focus, or null. */
function focusedMessageId(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as { document: { activeElement: { tagName: string; getAttribute(n: string): string | null } | null } }).document.activeElement;
    return el?.tagName === 'ARTICLE' && el.getAttribute('data-message-id') ? Number(el.getAttribute('data-message-id')) : null;
  });
}

test("a thread's replies are reached and moved between like the channel's messages", async () => {
  const say = async (token: string, text: string, parentId?: number) =>
    (await api.workspace(ws.slug, 'POST', `/api/channels/${general}/messages`, { token, body: { text, ...(parentId ? { parentId } : {}) } })).body.message.id as number;
  const parent = await say(bob.token, 'A thread to walk through');
  const first = await say(ws.token, 'The first reply', parent);
  const second = await say(bob.token, 'The second reply', parent);
  const person = await newPerson('bob');
  await person.signIn(ws.slug, bob.token);
  const { page } = person;
  await page.goto(workspaceUrl(ws.slug, `/c/${general}/t/${parent}`));
  const thread = page.getByRole('complementary', { name: 'Thread' });
  await thread.locator('.message-text', { hasText: 'The second reply' }).waitFor();
  await expect.poll(() => focused(page)).toBe('textarea Reply in thread');

  // Shift+Tab from the reply box: the newest reply; ↑ the one before, Home the parent, End back.
  await page.keyboard.press('Shift+Tab');
  await expect.poll(() => focusedMessageId(page)).toBe(second);
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => focusedMessageId(page)).toBe(first);
  await page.keyboard.press('Home');
  await expect.poll(() => focusedMessageId(page)).toBe(parent);
  await page.keyboard.press('End');
  await expect.poll(() => focusedMessageId(page)).toBe(second);
  // One of them is in the tab order, the one last focused.
  await page.keyboard.press('ArrowUp');
  expect(await thread.locator('article[tabindex="0"]').count()).toBe(1);
  expect(Number(await thread.locator('article[tabindex="0"]').getAttribute('data-message-id'))).toBe(first);
  person.expectNoErrors();
});

test('deleting a message puts focus on what is left of it, not on nothing', async () => {
  const person = await newPerson('bob');
  await person.signIn(ws.slug, bob.token);
  const { page } = person;
  const k = page.keyboard;
  await page.goto(workspaceUrl(ws.slug, `/c/${general}`));
  await expect.poll(() => focused(page)).toBe('textarea Message #general');
  await k.type('This one goes');
  await k.press('Enter');
  await page.locator('article.message:not(.pending) .message-text', { hasText: 'This one goes' }).waitFor();
  await k.press('Shift+Tab');
  await expect.poll(() => focused(page)).toMatch(/^article Bob Stone/);
  for (const name of ['Add reaction', 'Reply in thread', 'Edit message', 'Delete message']) {
    await k.press('Tab');
    expect(await focused(page)).toBe(`button ${name}`);
  }
  await k.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Delete message?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).focus();
  await k.press('Enter');
  await page.getByText('This message was deleted.').last().waitFor();
  await expect.poll(() => focused(page)).toMatch(/^article Bob Stone, .*, deleted$/);
  person.expectNoErrors();
});

test('on a phone the sidebar is a modal drawer: focus goes in, what is behind is out of reach, Escape closes it', async () => {
  const person = await newPerson('bob', { viewport: 'mobile' });
  await person.signIn(ws.slug, bob.token);
  const { page } = person;
  await page.goto(workspaceUrl(ws.slug, `/c/${general}`));
  await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Show channels' }).click();
  await expect.poll(() => focused(page)).toBe('a Channel general');
  expect(await page.locator('.chat-main').evaluate((el) => (el as unknown as { inert: boolean }).inert)).toBe(true);
  // Tab goes round the drawer, never into the chat behind it.
  for (let i = 0; i < 14; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { tagName: string; closest(s: string): unknown } | null } }).document.activeElement;
      return !el || el.tagName === 'BODY' ? 'page' : el.closest('nav.sidebar') ? 'drawer' : 'behind';
    });
    expect(where, `after ${i + 1} Tab(s)`).not.toBe('behind');
  }
  await screenshot(page, 'mobile-drawer');
  await page.keyboard.press('Escape');
  await expect.poll(() => page.locator('.chat-layout.sidebar-open').count()).toBe(0);
  await expect.poll(() => focused(page)).toBe('button Show channels');
  expect(await page.locator('.chat-main').evaluate((el) => (el as unknown as { inert: boolean }).inert)).toBe(false);

  // Choosing a channel closes it too, and focus goes to the new channel's "Show channels".
  await page.getByRole('button', { name: 'Show channels' }).click();
  await page.keyboard.press('Shift+Tab'); // from #general up to #design
  await expect.poll(() => focused(page)).toBe('a Channel design');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'design', level: 1 }).waitFor();
  await expect.poll(() => focused(page)).toBe('button Show channels');
  person.expectNoErrors();
});

test('the focus ring is visible on the controls people tab to', async () => {
  const person = await newPerson('person');
  await person.signIn(ws.slug, ws.token);
  await person.page.goto(workspaceUrl(ws.slug, '/'));
  await person.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  await person.page.getByRole('link', { name: /Channel design/ }).focus();
  await person.page.keyboard.press('Shift+Tab');
  await person.page.keyboard.press('Tab');
  const outline = await person.page.evaluate(() => {
    const g = globalThis as unknown as { document: { activeElement: unknown }; getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string } };
    const s = g.getComputedStyle(g.document.activeElement);
    return `${s.outlineStyle} ${s.outlineWidth}`;
  });
  expect(outline).toBe('solid 2px');
  person.expectNoErrors();
});
