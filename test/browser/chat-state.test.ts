/**
 * The web app's small pieces of chat state on their own, in Node: a channel's unread count
 * (src/web/src/chat/unread.ts: lastSeq − lastReadSeq as the server counts, the same whichever
 * of the room's and the stream's news of a message comes first), drafts kept per person
 * (chat/drafts.ts), and the API's error answers read once for fetch and uploads alike
 * (api/errors.ts: the wait from Retry-After or details, field errors a form does not show).
 */
import { describe, expect, test } from 'vitest';
import { ApiError, errorFromBody } from '../../src/web/src/api/errors';
import type { ChannelView } from '../../src/web/src/api/types';
import { draftKey, draftStore } from '../../src/web/src/chat/drafts';
import { unreadCount, withMessage, withRead, withServerView } from '../../src/web/src/chat/unread';

function channel(over: Partial<ChannelView> = {}): ChannelView {
  return {
    id: 'c1',
    kind: 'public',
    name: 'design',
    topic: '',
    description: '',
    createdBy: null,
    lastSeq: 10,
    lastMessageAt: '2026-01-01T00:00:10.000Z',
    archivedAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    isMember: true,
    memberRole: 'member',
    lastReadSeq: 5,
    unreadCount: 5,
    ...over,
  };
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe('unread counts', () => {
  test('are lastSeq − lastReadSeq, and none for a channel one is not in', () => {
    expect(unreadCount(channel())).toBe(5);
    expect(unreadCount(channel({ lastReadSeq: 12 }))).toBe(0);
    expect(unreadCount(channel({ isMember: false, lastReadSeq: null }))).toBeNull();
  });

  test("the room's message.created and the stream's activity for the same messages agree, in either order", () => {
    // Three messages from someone else: 11, 12, 13. The room's frame and the stream's event
    // for each arrive in some order; the count is the server's either way.
    const news = [11, 12, 13].flatMap((seq) => [
      { from: 'room', seq },
      { from: 'stream', seq },
    ]);
    const orders = [news, [...news].reverse(), [news[1]!, news[0]!, news[3]!, news[5]!, news[2]!, news[4]!]];
    for (const order of orders) {
      let c = channel();
      for (const n of order) c = withMessage(c, { seq: n.seq, at: at(n.seq), mine: false });
      expect(c.lastSeq).toBe(13);
      expect(c.unreadCount, JSON.stringify(order)).toBe(8);
      expect(c.lastMessageAt).toBe(at(13));
    }
  });

  test('my own message moves my read position with it; a read moves it and never back', () => {
    let c = withMessage(channel(), { seq: 11, at: at(11), mine: true });
    expect([c.lastReadSeq, c.unreadCount]).toEqual([11, 0]);
    c = withMessage(c, { seq: 12, at: at(12), mine: false });
    expect(c.unreadCount).toBe(1);
    c = withRead(c, 12);
    expect([c.lastReadSeq, c.unreadCount]).toEqual([12, 0]);
    c = withRead(c, 3); // an older read from another device, arriving late
    expect([c.lastReadSeq, c.unreadCount]).toEqual([12, 0]);
  });

  test('a repeated event changes nothing (the same object comes back)', () => {
    const c = withMessage(channel(), { seq: 11, at: at(11), mine: false });
    expect(withMessage(c, { seq: 11, at: at(11), mine: false })).toBe(c);
    expect(withMessage(c, { seq: 9, at: at(9), mine: false })).toBe(c);
    expect(withRead(c, 4)).toBe(c);
  });

  test("the server's older view of a channel does not take its positions back", () => {
    const known = withMessage(channel(), { seq: 14, at: at(14), mine: false });
    const renamed = withServerView(known, channel({ name: 'design-team' }));
    expect([renamed.name, renamed.lastSeq, renamed.lastReadSeq, renamed.unreadCount]).toEqual(['design-team', 14, 5, 9]);
    const left = withServerView(known, channel({ isMember: false, lastReadSeq: null, unreadCount: null }));
    expect(left.unreadCount).toBeNull();
  });
});

describe('drafts', () => {
  test('are kept per workspace, person, channel and thread, and cleared on sign-out', () => {
    const bob = draftKey({ workspaceId: 'w1', userId: 'bob', channelId: 'c1', parentId: null });
    const ada = draftKey({ workspaceId: 'w1', userId: 'ada', channelId: 'c1', parentId: null });
    const bobThread = draftKey({ workspaceId: 'w1', userId: 'bob', channelId: 'c1', parentId: 7 });
    const bobElsewhere = draftKey({ workspaceId: 'w2', userId: 'bob', channelId: 'c1', parentId: null });
    draftStore.set(bob, 'half a thought');
    expect(draftStore.get(bob)).toBe('half a thought');
    expect([draftStore.get(ada), draftStore.get(bobThread), draftStore.get(bobElsewhere)]).toEqual(['', '', '']);
    draftStore.set(bobThread, 'a reply');
    draftStore.clear();
    expect([draftStore.get(bob), draftStore.get(bobThread)]).toEqual(['', '']);
  });
});

describe('error answers', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;

  test('the wait comes from Retry-After, else from details.retryAfterSeconds', () => {
    const body = { error: { code: 'rate_limited', message: 'Too many requests.', details: { retryAfterSeconds: 7 }, requestId: 'r1' } };
    expect(errorFromBody(429, body, headers({ 'retry-after': '3' }), 'x').retryAfterSeconds).toBe(3);
    const fromDetails = errorFromBody(429, body, headers({}), 'x');
    expect([fromDetails.code, fromDetails.retryAfterSeconds, fromDetails.requestId]).toEqual(['rate_limited', 7, 'r1']);
    const notJson = errorFromBody(502, null, headers({ 'x-request-id': 'r2' }), 'The server answered 502.');
    expect([notJson.code, notJson.message, notJson.requestId, notJson.retryAfterSeconds]).toEqual(['http_502', 'The server answered 502.', 'r2', null]);
  });

  test('field errors a form has no field for are given back for the form itself', () => {
    const err = new ApiError(400, 'validation_failed', 'Invalid input.', {
      issues: [
        { path: 'name', message: 'Too short' },
        { path: 'kind', message: 'Not in your plan' },
        { path: 'memberIds.0', message: 'Unknown person' },
      ],
    });
    const { fields, other } = err.fieldErrorsFor(['name', 'topic'] as const);
    expect(fields).toEqual({ name: 'Too short' });
    expect(other).toBe('kind: Not in your plan memberIds.0: Unknown person');
    expect(err.fieldErrorsFor(['name', 'kind', 'memberIds'] as const).other).toBeNull();
    // No issue listed at all: the message is not lost either.
    expect(new ApiError(400, 'validation_failed', 'Invalid input.').fieldErrorsFor(['name'] as const).other).toBe('Invalid input.');
  });
});
