import { useState } from 'react';
import { notices } from '../lib/notices';

/** Copies `text` to the clipboard; says so for a moment, or why it could not. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      notices.toast('Copying is not allowed here; select the text and copy it.');
    }
  }
  return (
    <button type="button" className="btn btn-ghost btn-sm" onClick={() => void copy()} aria-label={label}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
