/**
 * Roving focus in a list of messages (the channel's, a thread's): one message is in the tab
 * order, and these keys move between them. Returns the index to move to, clamped to the list,
 * or null for a key that is not one of them.
 */
export function rovingIndex(key: string, index: number, first: number, last: number, pageSize: number): number | null {
  const target = targetOf(key, index, first, last, pageSize);
  return target === null ? null : Math.max(first, Math.min(last, target));
}

function targetOf(key: string, index: number, first: number, last: number, pageSize: number): number | null {
  switch (key) {
    case 'ArrowUp':
      return index - 1;
    case 'ArrowDown':
      return index + 1;
    case 'PageUp':
      return index - pageSize;
    case 'PageDown':
      return index + pageSize;
    case 'Home':
      return first;
    case 'End':
      return last;
    default:
      return null;
  }
}

/** Messages per Page Up/Down in a scrolling box of this height (about 60 px a message). */
export function pageSizeFor(height: number | undefined): number {
  return Math.max(1, Math.floor((height ?? 400) / 60));
}
