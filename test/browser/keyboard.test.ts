/**
 * The main flows with the keyboard alone: sign in, switch channels, send, react, open a thread
 * and reply, close it. No mouse event is used; focus is checked to land where a person expects.
 */
import type { Page } from 'playwright-core';
import { beforeAll, expect, test } from 'vitest';
import { api, newPerson, screenshot, workspaceUrl, type Member, type Workspace } from './support';


let ws: Workspace;
let bob: Member;

beforeAll(async () => {
  ws = await api.createWorkspace({ name: 'Keyboard Co', plan: 'pro', trial: true });
  bob = await api.addMember(ws, { name: 'Bob Stone' });
  await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'design', memberIds: [bob.id] } });
  const general = (await api.workspace(ws.slug, 'GET', '/api/channels', { token: ws.token })).body.channels.find((c: { name: string }) => c.name === 'general').id;
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
