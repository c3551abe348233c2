/**
 * The main flow in Chromium, two people in two browser contexts: sign-up on the platform host →
 * the owner lands signed in at the new workspace's own host → invites → the invitee accepts
 * (another context) → both chat in realtime → a thread reply and a reaction reach the other side
 * → an image upload is previewed on the other side → a cut socket reconnects and resumes with
 * no gap and no duplicate (and what was written meanwhile is sent, in order). Then: a session
 * of workspace A is no session on B's host.
 */
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, controlWebSockets, expectNoSeriousA11yViolations, newPerson, platformUrl, screenshot, stack, uniqueSlug, workspaceUrl, type Person, type SocketControl } from './support';

// ---- helpers of this file ----

/** A small real PNG (a colour gradient), so an <img> of it has a natural size once loaded. */
function pngImage(width = 48, height = 32): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 160], o + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function composer(page: Page, name = /^Message /) {
  return page.getByRole('textbox', { name });
}

async function send(page: Page, text: string, box = composer(page)): Promise<void> {
  await box.fill(text);
  await box.press('Enter');
}

/** A stored (not pending) message in the channel's list with exactly this text. */
function message(page: Page, text: string) {
  return page.locator('.channel-pane article.message:not(.pending)').filter({ has: page.locator('.message-text', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}

async function texts(page: Page): Promise<string[]> {
  return page.locator('.channel-pane article.message:not(.pending) .message-text').allInnerTexts();
}

// Expected while a test cuts the network: the app's requests fail, that is the point.
const cutProblems = [{ kind: 'requestfailed' as const }, { kind: 'console' as const, text: /WebSocket|ERR_INTERNET_DISCONNECTED|Failed to load resource/ }];

// ---- the flow ----

const slug = uniqueSlug('flow');
const ownerEmail = `ada@${slug}.test`;
const password = 'correct horse battery staple';
let owner: Person;
let bob: Person;
let bobSockets: SocketControl;
let acceptUrl = '';

beforeAll(async () => {
  owner = await newPerson('owner');
  bob = await newPerson('bob', { viewport: 'mobile' });
  bobSockets = await controlWebSockets(bob.context); // before Bob's page opens any socket
});

describe('sign-up, invitation, realtime chat', () => {
  test('sign-up on the platform host lands the owner, signed in, in #general at the workspace host', async () => {
    const { page } = owner;
    await page.goto(platformUrl('/'));
    await page.getByRole('link', { name: /Try Pro free/ }).click();
    await page.waitForURL(/\/signup/);
    await page.getByLabel('Workspace name').fill('Flow Test Team');
    await page.getByLabel('Address').fill(slug);
    await page.getByText(`${slug}.localhost is available.`).waitFor();
    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.getByLabel('Work email').fill(ownerEmail);
    await page.getByLabel('Password').fill(password);
    expect(await page.getByRole('radio', { name: /Pro trial/ }).isChecked()).toBe(true);
    await screenshot(page, 'signup-filled');
    await page.getByRole('button', { name: 'Create workspace' }).click();

    await page.waitForURL((u) => u.hostname === `${slug}.localhost` && u.pathname.startsWith('/c/'), { timeout: 20_000 });
    expect(page.url(), 'the handoff code is removed from the address').not.toContain('handoff');
    await page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    await page.getByText('Pro trial').first().waitFor();
    await screenshot(page, 'owner-first-chat');
    owner.expectNoErrors();
  });

  test('the owner invites, and Bob accepts in another browser context and is signed in', async () => {
    await owner.page.getByRole('button', { name: 'Invite people' }).click();
    const dialog = owner.page.getByRole('dialog', { name: 'Invite people' });
    await dialog.getByLabel('Email').fill(`bob@${slug}.test`);
    await dialog.getByRole('button', { name: 'Send invitation' }).click();
    const link = dialog.getByRole('textbox', { name: 'Invitation link' });
    await link.waitFor();
    acceptUrl = await link.inputValue();
    expect(acceptUrl).toMatch(new RegExp(`^http://${slug}\\.localhost:\\d+/invite/`));
    await screenshot(owner.page, 'invite-dialog');
    await dialog.getByRole('button', { name: 'Done' }).click();

    await bob.page.goto(acceptUrl);
    await bob.page.getByRole('heading', { name: 'Join Flow Test Team' }).waitFor();
    await bob.page.getByText(`bob@${slug}.test`).waitFor();
    await screenshot(bob.page, 'invite-accept');
    await expectNoSeriousA11yViolations(bob.page);
    await bob.page.getByLabel('Your name').fill('Bob Stone');
    await bob.page.getByLabel('Password').fill('short');
    await bob.page.getByRole('button', { name: 'Join workspace' }).click();
    await bob.page.getByText(/at least 8 characters\./i).last().waitFor(); // the policy's message, at the field
    await bob.page.getByLabel('Password').fill(password);
    await bob.page.getByRole('button', { name: 'Join workspace' }).click();
    await bob.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    expect(new URL(bob.page.url()).pathname).toMatch(/^\/c\//);
    bob.expectNoErrors({ ignore: [{ url: /\/accept$/, status: 400 }] });
  });

  test('both chat in realtime', async () => {
    await send(owner.page, 'Hello Bob, welcome aboard');
    await message(bob.page, 'Hello Bob, welcome aboard').waitFor();
    await send(bob.page, 'Thanks Ada!');
    await message(owner.page, 'Thanks Ada!').waitFor();
    // Bob's own message is shown once: the optimistic copy was replaced by the stored one.
    await expect.poll(() => message(bob.page, 'Thanks Ada!').count()).toBe(1);
    expect(await bob.page.locator('article.message.pending').count()).toBe(0);
    await screenshot(bob.page, 'bob-mobile-chat');
  });

  test('a thread reply and a reaction appear on the other side', async () => {
    // Bob answers Ada's message in a thread.
    const adaMsg = message(bob.page, 'Hello Bob, welcome aboard');
    await adaMsg.hover();
    await adaMsg.getByRole('button', { name: 'Reply in thread' }).click();
    const thread = bob.page.getByRole('complementary', { name: 'Thread' });
    await thread.waitFor();
    await send(bob.page, 'Replying in the thread', thread.getByRole('textbox', { name: 'Reply in thread' }));
    await thread.locator('article.message:not(.pending) .message-text', { hasText: 'Replying in the thread' }).waitFor();
    await screenshot(bob.page, 'bob-thread');

    // Ada sees the reply count go up live, and the reply in the thread.
    const summary = message(owner.page, 'Hello Bob, welcome aboard').getByRole('button', { name: /1 reply/ });
    await summary.waitFor();
    await summary.click();
    const adaThread = owner.page.getByRole('complementary', { name: 'Thread' });
    await adaThread.locator('.message-text', { hasText: 'Replying in the thread' }).waitFor();
    await screenshot(owner.page, 'owner-thread');
    await expectNoSeriousA11yViolations(owner.page);

    // Ada reacts to Bob's message; Bob sees it.
    const bobMsg = message(owner.page, 'Thanks Ada!');
    await bobMsg.hover();
    await bobMsg.getByRole('button', { name: 'Add reaction' }).click();
    await owner.page.getByRole('button', { name: 'React with party' }).click();
    await message(bob.page, 'Thanks Ada!').getByRole('button', { name: /^party: 1 \(Ada Lovelace\)/ }).waitFor();
    await owner.page.getByRole('button', { name: 'Close thread' }).click();
    await bob.page.getByRole('button', { name: 'Close thread' }).click();
  });

  test('an uploaded image is attached to its message and previewed on the other side', async () => {
    const { page } = owner;
    await page.locator('.channel-pane input[type="file"]').setInputFiles({ name: 'gradient.png', mimeType: 'image/png', buffer: pngImage() });
    await page.getByRole('button', { name: 'Remove gradient.png' }).waitFor(); // uploaded (the progress bar is gone)
    await composer(page).fill('The chart');
    await composer(page).press('Enter');
    const img = bob.page.locator('.channel-pane article.message:not(.pending) img[alt="gradient.png"]');
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBe(48);
    expect(await bob.page.locator('.channel-pane article.message', { has: bob.page.locator('img[alt="gradient.png"]') }).locator('.message-text').innerText()).toBe('The chart');

    // A file needs no words: Enter sends it on its own.
    await page.locator('.channel-pane input[type="file"]').setInputFiles({ name: 'alone.png', mimeType: 'image/png', buffer: pngImage(20, 20) });
    await page.getByRole('button', { name: 'Remove alone.png' }).waitFor();
    await composer(page).press('Enter');
    const alone = bob.page.locator('.channel-pane article.message:not(.pending) img[alt="alone.png"]');
    await alone.waitFor();
    await expect.poll(() => alone.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBe(20);
    await screenshot(bob.page, 'bob-sees-image');
  });

  test('a cut socket reconnects and resumes from the last sequence: no gap, no duplicate, queued sends go out in order', async () => {
    await bobSockets.waitForOpen(1);
    const openedBefore = bobSockets.opened.length;
    await bobSockets.cut();
    await bob.page.getByText('You are offline').waitFor();

    // While Bob is away, Ada writes three messages; Bob writes two (queued on his side).
    for (const t of ['while you were away 1', 'while you were away 2', 'while you were away 3']) await send(owner.page, t);
    await message(owner.page, 'while you were away 3').waitFor();
    await send(bob.page, 'typed offline, first');
    await send(bob.page, 'typed offline, second');
    await bob.page.getByText('Waiting for connection…').first().waitFor();
    await screenshot(bob.page, 'bob-offline');
    expect(await message(bob.page, 'while you were away 1').count()).toBe(0);

    await bobSockets.restore();
    await message(bob.page, 'while you were away 3').waitFor();
    await message(owner.page, 'typed offline, second').waitFor();

    // The room socket came back asking for what it missed.
    const reconnects = bobSockets.opened.slice(openedBefore).filter((u) => /\/api\/channels\/[^/]+\/ws\?since=\d+/.test(u));
    expect(reconnects.length).toBeGreaterThan(0);

    const seen = await texts(bob.page);
    for (const t of ['while you were away 1', 'while you were away 2', 'while you were away 3', 'typed offline, first', 'typed offline, second']) {
      expect(seen.filter((x) => x === t), t).toHaveLength(1);
    }
    expect(seen.indexOf('while you were away 1')).toBeLessThan(seen.indexOf('while you were away 2'));
    expect(seen.indexOf('while you were away 2')).toBeLessThan(seen.indexOf('while you were away 3'));
    const adaSees = await texts(owner.page);
    expect(adaSees.indexOf('typed offline, first')).toBeLessThan(adaSees.indexOf('typed offline, second'));
    expect(adaSees.filter((x) => x.startsWith('typed offline'))).toHaveLength(2);
    // What Bob saw before the cut is still there once (history was not reloaded on top of itself).
    expect(seen.filter((x) => x === 'Hello Bob, welcome aboard')).toHaveLength(1);
    bob.expectNoErrors({ ignore: [...cutProblems, { url: /\/accept$/, status: 400 }] });
  });

});

describe('tenants stay apart in the browser', () => {
  test("a session from workspace A does not work on workspace B's host", async () => {
    const a = await api.createWorkspace({ name: 'Tenant A' });
    const b = await api.createWorkspace({ name: 'Tenant B' });
    const mallory = await newPerson('mallory');
    await mallory.signIn(a.slug, a.token);
    // A's token, presented as the session cookie on B's host.
    await mallory.signIn(b.slug, a.token);
    await mallory.page.goto(workspaceUrl(b.slug, '/'));
    await mallory.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await mallory.page.getByText('Tenant B').count()).toBeGreaterThan(0);
    expect(await mallory.page.locator('.channel-pane').count()).toBe(0);
    const probe = await mallory.page.evaluate(async () => {
      const me = await fetch('/api/me');
      const channels = await fetch('/api/channels');
      await Promise.all([me.text(), channels.text()]);
      return { me: me.status, channels: channels.status };
    });
    expect(probe.me).toBe(401);
    expect(probe.channels).toBe(401);
    // On A's own host the same browser is signed in to A.
    await mallory.page.goto(workspaceUrl(a.slug, '/'));
    await mallory.page.getByRole('heading', { name: 'general', level: 1 }).waitFor();
    expect(stack().baseDomain).toBe('localhost');
    mallory.expectNoErrors({ ignore: [{ url: /\/api\/(me|channels)$/, status: 401 }] });
  });
});
