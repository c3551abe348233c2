/**
 * What a Slack or Zulip user expects around the messages, with two people in two contexts:
 * unread counts and mentions arriving in the sidebar for channels not open (the per-person
 * stream), a new direct message appearing for its recipient, creating, joining, leaving and
 * archiving channels, typing and presence, @mention autocomplete, editing and deleting one's
 * own messages, drafts that stay with the person who wrote them, and signing out.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, expectNoSeriousA11yViolations, newPerson, screenshot, workspaceUrl, type Member, type Person, type Workspace } from './support';

let ws: Workspace;
let bobAccount: Member;

let ada: Person;
let bob: Person;

beforeAll(async () => {
  ws = await api.createWorkspace({ name: 'Features Co', ownerName: 'Ada Lovelace', plan: 'pro', trial: true });
  bobAccount = await api.addMember(ws, { name: 'Bob Stone' });
  const design = await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'design', memberIds: [bobAccount.id] } });
  expect(design.status, design.text).toBe(201);
  ada = await newPerson('ada');
  bob = await newPerson('bob');
  await ada.signIn(ws.slug, ws.token);
  await bob.signIn(ws.slug, bobAccount.token);
  for (const p of [ada, bob]) {
    await p.page.goto(workspaceUrl(ws.slug, '/'));
    await p.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  }
});

function sidebar(page: Page) {
  return page.getByRole('navigation', { name: 'Channels and direct messages' });
}

async function send(page: Page, text: string) {
  const box = page.locator('.channel-pane').getByRole('textbox', { name: /^Message / });
  await box.fill(text);
  await box.press('Enter');
  await page.locator('.channel-pane article.message:not(.pending) .message-text', { hasText: text }).first().waitFor();
}

async function openChannel(page: Page, name: RegExp) {
  await sidebar(page).getByRole('link', { name }).click();
}

describe('the sidebar stays live for channels that are not open', () => {
  test('unread counts and a mention reach the sidebar, and clear when the channel is read', async () => {
    await openChannel(bob.page, /Channel design/);
    await bob.page.getByRole('heading', { name: 'design', level: 1 }).waitFor();
    await send(bob.page, 'New mockups are up');
    await send(bob.page, '@adalovelace could you review them?');
    const link = sidebar(ada.page).getByRole('link', { name: /Channel design/ });
    await expect.poll(() => link.getAttribute('aria-label')).toMatch(/1 mention, 2 unread/);
    await link.locator('.badge.mention').waitFor();
    await screenshot(ada.page, 'sidebar-unread-mention');
    await link.click();
    await ada.page.getByRole('heading', { name: 'design', level: 1 }).waitFor();
    // The mention is marked as mine in the message.
    await ada.page.locator('article.message.mentions-me .mention.mine', { hasText: '@adalovelace' }).waitFor();
    await openChannel(ada.page, /Channel general/);
    await expect.poll(() => sidebar(ada.page).getByRole('link', { name: /Channel design/ }).getAttribute('aria-label')).toBe('Channel design');
  });

  test('a new direct message appears for its recipient, with its unread count', async () => {
    await bob.page.getByRole('button', { name: 'New direct message' }).click();
    const dialog = bob.page.getByRole('dialog', { name: 'New direct message' });
    await dialog.getByLabel('Find a person').fill('Ada');
    await dialog.getByRole('button', { name: 'Message Ada Lovelace' }).click();
    await bob.page.getByRole('heading', { name: 'Ada Lovelace', level: 1 }).waitFor();
    await send(bob.page, 'psst, a quick question');

    const dm = sidebar(ada.page).getByRole('link', { name: /Direct message with Bob Stone/ });
    await dm.waitFor();
    await expect.poll(() => dm.getAttribute('aria-label')).toMatch(/1 unread/);
    await dm.click();
    await ada.page.locator('.message-text', { hasText: 'psst, a quick question' }).waitFor();
    await expectNoSeriousA11yViolations(ada.page);
    await openChannel(ada.page, /Channel general/);
    await openChannel(bob.page, /Channel general/);
  });

  test('a channel open but scrolled back keeps counting what arrives, and shows it once left', async () => {
    const created = await api.workspace(ws.slug, 'POST', '/api/channels', { token: ws.token, body: { name: 'long-read', memberIds: [bobAccount.id] } });
    const long = created.body.channel.id as string;
    for (let i = 1; i <= 30; i++) await api.workspace(ws.slug, 'POST', `/api/channels/${long}/messages`, { token: bobAccount.token, body: { text: `older message ${i}` } });
    await openChannel(ada.page, /Channel long-read/);
    await ada.page.getByRole('heading', { name: 'long-read', level: 1 }).waitFor();
    await ada.page.locator('.message-text', { hasText: 'older message 30' }).waitFor();
    // Ada reads back: the newest message is out of view, so what comes now is not read.
    await ada.page.locator('.message-scroll').hover();
    await ada.page.mouse.wheel(0, -4000);
    await ada.page.getByRole('button', { name: 'Jump to latest' }).waitFor();
    for (const t of ['new one', 'new two', 'new three']) await api.workspace(ws.slug, 'POST', `/api/channels/${long}/messages`, { token: bobAccount.token, body: { text: t } });
    await ada.page.getByRole('button', { name: '3 new messages' }).waitFor();
    // Whichever of the room's message and the stream's activity came first, the count is the server's.
    await openChannel(ada.page, /Channel general/);
    await expect.poll(() => sidebar(ada.page).getByRole('link', { name: /Channel long-read/ }).getAttribute('aria-label')).toBe('Channel long-read, 3 unread');
    const server = await api.workspace(ws.slug, 'GET', `/api/channels/${long}`, { token: ws.token });
    expect(server.body.channel.unreadCount).toBe(3);
  });
});

describe('channels', () => {
  test('create, join from the browser, leave, archive', async () => {
    // Ada creates #launch.
    await ada.page.getByRole('button', { name: 'Add channels' }).click();
    await ada.page.getByRole('menuitem', { name: 'Create a channel' }).click();
    const create = ada.page.getByRole('dialog', { name: 'Create a channel' });
    await create.getByLabel('Name').fill('Launch Plans');
    expect(await create.getByLabel('Name').inputValue()).toBe('launch-plans'); // names are lowercase, no spaces
    await create.getByLabel('Topic (optional)').fill('Everything for the release');
    await create.getByRole('button', { name: 'Create' }).click();
    await ada.page.getByRole('heading', { name: 'launch-plans', level: 1 }).waitFor();
    await send(ada.page, 'Kick-off tomorrow at ten');

    // Bob finds it in the channel browser and joins.
    await bob.page.getByRole('button', { name: 'Add channels' }).click();
    await bob.page.getByRole('menuitem', { name: 'Browse channels' }).click();
    const browse = bob.page.getByRole('dialog', { name: 'Browse channels' });
    await browse.getByRole('button', { name: 'Join launch-plans' }).click();
    await bob.page.getByRole('heading', { name: 'launch-plans', level: 1 }).waitFor();
    await bob.page.locator('.message-text', { hasText: 'Kick-off tomorrow at ten' }).waitFor();
    await send(bob.page, 'Count me in');
    await ada.page.locator('.message-text', { hasText: 'Count me in' }).waitFor();

    // Bob leaves: back to #general, and #launch-plans is not in his sidebar any more.
    await bob.page.getByRole('button', { name: 'Channel actions' }).click();
    await bob.page.getByRole('menuitem', { name: 'Leave channel' }).click();
    await bob.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await expect.poll(() => sidebar(bob.page).getByRole('link', { name: /launch-plans/ }).count()).toBe(0);

    // Ada archives it: still readable, no composer, and the way back for those who may.
    await ada.page.getByRole('button', { name: 'Channel actions' }).click();
    await ada.page.getByRole('menuitem', { name: 'Archive channel' }).click();
    await ada.page.getByText('This channel is archived').waitFor();
    expect(await ada.page.locator('.channel-pane').getByRole('textbox', { name: /^Message / }).count()).toBe(0);
    await ada.page.getByRole('button', { name: 'Unarchive' }).waitFor();
    await screenshot(ada.page, 'archived-channel');
    await openChannel(ada.page, /Channel general/);
  });
});

describe('in the channel', () => {
  test('typing shows for the other person, and who is online', async () => {
    // Ada has just opened #general: her room socket is in once she sees who is there. (Typing is
    // sent once every few seconds; sent before that, it would pass her by.)
    await ada.page.getByText('1 online').waitFor();
    const box = bob.page.locator('.channel-pane').getByRole('textbox', { name: 'Message #general' });
    await box.pressSequentially('I am thinking about', { delay: 20 });
    await ada.page.getByText('Bob Stone is typing…').waitFor();
    await box.fill('');
  });

  test('@ suggests people; the chosen one is mentioned and sees it marked', async () => {
    const box = ada.page.locator('.channel-pane').getByRole('textbox', { name: 'Message #general' });
    await box.fill('');
    await box.pressSequentially('thanks @bo');
    const option = ada.page.getByRole('option', { name: /Bob Stone/ });
    await option.waitFor();
    await screenshot(ada.page, 'mention-autocomplete');
    await box.press('Enter'); // picks the suggestion (does not send)
    expect(await box.inputValue()).toBe('thanks @bobstone ');
    await box.pressSequentially('for the mockups');
    await box.press('Enter');
    await bob.page.locator('article.message.mentions-me .mention.mine', { hasText: '@bobstone' }).waitFor();
  });

  test('editing and deleting one’s own message reach the other person', async () => {
    await send(ada.page, 'Meeting at 3pm');
    const mine = ada.page.locator('.channel-pane article.message', { hasText: 'Meeting at 3pm' });
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit message' }).click();
    const editor = ada.page.getByRole('textbox', { name: 'Edit message' });
    await editor.fill('Meeting at 4pm');
    await editor.press('Enter');
    const theirs = bob.page.locator('.channel-pane article.message', { hasText: 'Meeting at 4pm' });
    await theirs.getByText('(edited)').waitFor();

    const edited = ada.page.locator('.channel-pane article.message', { hasText: 'Meeting at 4pm' });
    await edited.hover();
    await edited.getByRole('button', { name: 'Delete message' }).click();
    await ada.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
    await bob.page.getByText('This message was deleted.').waitFor();
    expect(await bob.page.getByText('Meeting at 4pm').count()).toBe(0);
    // Bob is offered no edit on Ada's messages.
    const adas = bob.page.locator('.channel-pane article.message', { hasText: 'thanks @bobstone' });
    await adas.hover();
    expect(await adas.getByRole('button', { name: 'Edit message' }).count()).toBe(0);
  });
});

test('a workspace suspended while people chat shows its page at once', async () => {
  await ada.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  const other = await api.createWorkspace({ name: 'Soon Suspended', plan: 'pro', trial: true });
  const carol = await newPerson('carol');
  await carol.signIn(other.slug, other.token);
  await carol.page.goto(workspaceUrl(other.slug, '/'));
  await carol.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  await carol.page.waitForTimeout(300); // the room socket is open
  const res = await api.admin('POST', `/api/tenants/${other.id}/suspend`, { body: { reason: 'Review' } });
  expect(res.status, res.text).toBe(200);
  await carol.page.getByRole('heading', { name: 'This workspace is suspended' }).waitFor();
  await screenshot(carol.page, 'suspended-while-open');
  carol.expectNoErrors({ ignore: [{ url: /\/api\/tenant/, status: 403 }, { kind: 'console', text: /WebSocket/ }] });
});

test('a draft stays with the person who wrote it: not shown to the next one in the same tab, gone after signing out', async () => {
  // Their own people: signing out ends every session of that person, on every device.
  const carol = await api.addMember(ws, { name: 'Carol Ito' });
  const dave = await api.addMember(ws, { name: 'Dave Roe' });
  const tab = await newPerson('shared-tab');
  const { page } = tab;
  await tab.signIn(ws.slug, carol.token);
  await page.goto(workspaceUrl(ws.slug, '/'));
  await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  const box = page.locator('.channel-pane').getByRole('textbox', { name: 'Message #general' });
  await box.fill('Carol’s half-written thought');

  // Carol's session ends elsewhere: the sign-in page, saying why.
  await api.workspace(ws.slug, 'POST', '/api/auth/logout', { token: carol.token });
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();

  // Dave signs in in the same tab: his box is empty.
  async function signInAsDave() {
    await page.getByLabel('Email').fill(dave.email);
    await page.getByLabel('Password').fill(dave.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
  }
  await signInAsDave();
  expect(await box.inputValue()).toBe('');
  await box.fill('Dave’s draft');

  // Dave signs out on purpose: the sign-in page, no "session ended"; his draft is gone after.
  await page.getByRole('button', { name: 'Your account' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.waitForTimeout(500); // the stream's close for the sign-out has come by now
  expect(await page.getByText(/session has ended/i).count()).toBe(0);
  await signInAsDave();
  expect(await box.inputValue()).toBe('');
  // Expected: what was on its way when Carol's session ended under the page (her room's
  // reconnect refused, a page of messages asked for).
  tab.expectNoErrors({ ignore: [{ url: /\/api\/(me|channels\/[^/]+(\/messages)?)(\?.*)?$/, status: 401 }, { kind: 'console', text: /WebSocket connection/ }] });
});

test('signing out ends the session: the sign-in page, also after a reload', async () => {
  // The stream's close for the sign-out (4003) comes before the logout's answer: made certain
  // here by holding the answer back a moment.
  await bob.page.route('**/api/auth/logout', async (route) => {
    const out = await api.workspace(ws.slug, 'POST', '/api/auth/logout', { token: bobAccount.token });
    await new Promise((r) => setTimeout(r, 3000));
    await route.fulfill({ status: out.status, body: out.text }); // the session is over either way (its version moved on)
  });
  await bob.page.getByRole('button', { name: 'Your account' }).click();
  await bob.page.getByRole('menuitem', { name: 'Sign out' }).click();
  await bob.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // On purpose, so not "your session has ended".
  await bob.page.waitForTimeout(500);
  expect(await bob.page.getByText(/session has ended/i).count()).toBe(0);
  await bob.page.reload();
  await bob.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const me = await bob.page.evaluate(async () => (await fetch('/api/me')).status);
  expect(me).toBe(401);
  ada.expectNoErrors();
  bob.expectNoErrors({ ignore: [{ url: /\/api\/me$/, status: 401 }] });
});
