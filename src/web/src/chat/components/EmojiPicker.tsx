import { useEffect, useRef } from 'react';

/** The reactions offered in one click (any other pictograph or :shortcode: is valid to the API too). */
export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '🙏', '👀', '🔥', '✅', '😮', '😢', '🚀', '👏', '💯', '🤔', '😄', '👌'];

const NAMES: Record<string, string> = {
  '👍': 'thumbs up', '❤️': 'heart', '😂': 'laughing', '🎉': 'party', '🙏': 'thanks', '👀': 'eyes', '🔥': 'fire', '✅': 'check',
  '😮': 'surprised', '😢': 'sad', '🚀': 'rocket', '👏': 'clap', '💯': 'hundred', '🤔': 'thinking', '😄': 'smile', '👌': 'ok',
};

export function emojiName(e: string): string {
  return NAMES[e] ?? e.replace(/:/g, '');
}

/** A small grid of reactions; arrows move between them, Escape closes and returns focus. */
export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const onDoc = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('mousedown', onDoc);
    return () => document.removeEventListener('mousedown', onDoc);
  }, [onClose]);

  function onKeyDown(e: React.KeyboardEvent<HTMLDivElement>) {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const cols = 8;
    const move = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[e.key];
    if (move !== undefined) {
      e.preventDefault();
      buttons[(i + move + buttons.length) % buttons.length]?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    }
  }

  return (
    <div ref={ref} className="emoji-picker" role="group" aria-label="Choose a reaction" onKeyDown={onKeyDown}>
      {QUICK_EMOJI.map((e) => (
        <button key={e} type="button" aria-label={`React with ${emojiName(e)}`} title={emojiName(e)} onClick={() => onPick(e)}>
          {e}
        </button>
      ))}
    </div>
  );
}
