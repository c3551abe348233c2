/**
 * The web app's message store (src/web/src/chat/timeline.ts) on its own, in Node: REST pages,
 * room frames (live and replayed after a reconnect) and optimistic sends merge by id and
 * clientId into one timeline, in sequence order, without duplicates; messages that cannot be
 * sent are marked with the reason and survive the timeline being forgotten.
 */
import { describe, expect, test } from 'vitest';
import type { ChatMessage } from '../../src/web/src/api/types';
import { Timeline, type PendingMessage } from '../../src/web/src/chat/timeline';

const ME = 'me-0000';
const OTHER = 'other-0000';
let nextId = 100;

function msg(seq: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: over.id ?? nextId++,
    channelId: 'c1',
    seq,
    userId: OTHER,
    parentId: null,
    text: `message ${seq}`,
    clientId: null,
    replyCount: 0,
    lastReplyAt: null,
    editedAt: null,
    deleted: false,
    deletedAt: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    mentions: [],
    reactions: [],
    attachments: [],
    ...over,
  };
}

function pending(clientId: string, text: string, parentId: number | null = null): PendingMessage {
  return { clientId, channelId: 'c1', parentId, userId: ME, text, attachments: [], createdAt: new Date().toISOString(), state: 'queued', sentAt: null, serial: null, error: null };
}

const seqs = (t: Timeline) => t.get().messages.map((m) => m.seq);

describe('Timeline', () => {
  test('a REST page (newest first) and older pages make one list in sequence order', () => {
    const t = new Timeline('c1', 6, ME);
    const [m1, m2, m3, m4, m5, m6] = [1, 2, 3, 4, 5, 6].map((s) => msg(s));
    t.addPage({ messages: [m6!, m5!, m4!], hasMore: true, order: 'newest_first' }, false);
    expect(seqs(t)).toEqual([4, 5, 6]);
    expect(t.get().hasMoreOlder).toBe(true);
    t.addPage({ messages: [m3!, m2!, m1!], hasMore: false, order: 'newest_first' }, true);
    expect(seqs(t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.get().hasMoreOlder).toBe(false);
  });

  test('what the socket replays and the REST page already had is not added twice', () => {
    const t = new Timeline('c1', 2, ME);
    const m3 = msg(3);
    const m4 = msg(4);
    t.applyCreated(m3); // live, before the page arrives
    t.addPage({ messages: [m4, m3, msg(2), msg(1)], hasMore: false, order: 'newest_first' }, false);
    t.applyCreated(m4); // replayed after a reconnect
    t.applyCreated({ ...m3 }); // and once more
    expect(seqs(t)).toEqual([1, 2, 3, 4]);
  });

  test('an optimistic send is replaced by the stored message with its clientId, and only that one', () => {
    const t = new Timeline('c1', 0, ME);
    t.addPending(pending('a', 'first'));
    t.addPending(pending('b', 'second'));
    expect(t.get().pending.map((p) => p.clientId)).toEqual(['a', 'b']);
    t.applyCreated(msg(1, { userId: ME, clientId: 'a', text: 'first' }));
    expect(t.get().pending.map((p) => p.clientId)).toEqual(['b']);
    // Someone else's message that happens to carry the same clientId does not take mine away.
    t.applyCreated(msg(2, { userId: OTHER, clientId: 'b' }));
    expect(t.get().pending.map((p) => p.clientId)).toEqual(['b']);
    t.applyCreated(msg(3, { userId: ME, clientId: 'b', text: 'second' }));
    expect(t.get().pending).toEqual([]);
    expect(t.get().messages.map((m) => m.text)).toEqual(['first', 'message 2', 'second']);
  });

  test('replies live in their thread; the parent counts a new one once, and thread.reply sets the exact count', () => {
    const t = new Timeline('c1', 0, ME);
    const parent = msg(1);
    t.applyCreated(parent);
    t.threadLoading(parent.id);
    const reply = msg(2, { parentId: parent.id });
    t.applyCreated(reply);
    t.applyCreated(reply); // replayed
    expect(t.get().messages.map((m) => m.id)).toEqual([parent.id]);
    expect(t.get().threads.get(parent.id)!.replies.map((r) => r.id)).toEqual([reply.id]);
    expect(t.find(parent.id)!.replyCount).toBe(1);
    t.applyThreadReply(parent.id, 1, reply.createdAt);
    expect(t.find(parent.id)!.replyCount).toBe(1);
    // A reply to a thread not opened here still counts on its parent.
    const other = msg(3);
    t.applyCreated(other);
    t.applyCreated(msg(4, { parentId: other.id }));
    expect(t.find(other.id)!.replyCount).toBe(1);
  });

  test('reactions are idempotent per person, and taken back', () => {
    const t = new Timeline('c1', 0, ME);
    const m = msg(1);
    t.applyCreated(m);
    t.applyReaction(m.id, '👍', ME, true);
    t.applyReaction(m.id, '👍', ME, true); // my optimistic add, then the room's frame
    t.applyReaction(m.id, '👍', OTHER, true);
    expect(t.find(m.id)!.reactions).toEqual([{ emoji: '👍', count: 2, users: [ME, OTHER] }]);
    t.applyReaction(m.id, '👍', ME, false);
    t.applyReaction(m.id, '👍', ME, false);
    expect(t.find(m.id)!.reactions).toEqual([{ emoji: '👍', count: 1, users: [OTHER] }]);
  });

  test('an edit replaces the text; a deletion leaves a tombstone in its place', () => {
    const t = new Timeline('c1', 0, ME);
    const [a, b] = [msg(1), msg(2)];
    t.applyCreated(a);
    t.applyCreated(b);
    t.applyUpdated({ ...a, text: 'edited', editedAt: new Date().toISOString() });
    t.applyDeleted(b.id, new Date().toISOString());
    expect(t.get().messages.map((m) => [m.seq, m.text, m.deleted])).toEqual([
      [1, 'edited', false],
      [2, '', true],
    ]);
  });

  test('messages that cannot go any more are marked "Not sent" with the reason; those already refused keep theirs', () => {
    const t = new Timeline('c1', 0, ME);
    t.addPending(pending('a', 'queued one'));
    t.addPending({ ...pending('b', 'on its way'), state: 'sending', sentAt: 1, serial: 1 });
    t.addPending({ ...pending('c', 'refused before'), state: 'failed', error: 'Too long' });
    expect(t.hasUnsent()).toBe(true);
    expect(t.failUnsent('The channel was archived')).toBe(2);
    expect(t.get().pending.map((p) => [p.clientId, p.state, p.error])).toEqual([
      ['a', 'failed', 'The channel was archived'],
      ['b', 'failed', 'The channel was archived'],
      ['c', 'failed', 'Too long'],
    ]);
    expect(t.hasUnsent()).toBe(false);
    expect(t.failUnsent('again')).toBe(0);
  });

  test('a timeline kept for its unsent messages forgets the rest and resumes from the given sequence', () => {
    const t = new Timeline('c1', 3, ME);
    t.addPage({ messages: [msg(3), msg(2), msg(1)], hasMore: false, order: 'newest_first' }, false);
    t.threadLoading(t.get().messages[0]!.id);
    t.addPending({ ...pending('a', 'not sent'), state: 'failed', error: 'The channel was archived' });
    t.restart(7);
    expect(t.seenSeq).toBe(7);
    expect(t.get().messages).toEqual([]);
    expect(t.get().threads.size).toBe(0);
    expect(t.get().history).toBe('idle');
    expect(t.get().pending.map((p) => p.clientId)).toEqual(['a']);
  });
});
