import { Fragment, memo, type ReactNode } from 'react';

/**
 * A message's words: plain text with its line breaks, web addresses as links and @mentions
 * marked (strongly when they are of me). Never HTML from the message itself.
 */
const TOKEN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|(^|[^\w@])@([a-z0-9][a-z0-9._-]{0,63})/gi;

export const MessageText = memo(function MessageText({ text, myHandles }: { text: string; myHandles: ReadonlySet<string> }) {
  const parts: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    if (m[1]) {
      parts.push(text.slice(last, start));
      parts.push(
        <a key={key++} href={m[1]} target="_blank" rel="noopener noreferrer">
          {m[1]}
        </a>,
      );
      last = start + m[0].length;
    } else if (m[3]) {
      const lead = m[2] ?? '';
      const handle = m[3].replace(/[._-]+$/, '');
      const mentionStart = start + lead.length;
      parts.push(text.slice(last, mentionStart));
      const mine = myHandles.has(handle.toLowerCase());
      parts.push(
        <span key={key++} className={mine ? 'mention mine' : 'mention'}>
          @{handle}
        </span>,
      );
      last = mentionStart + 1 + handle.length;
    }
  }
  parts.push(text.slice(last));
  return (
    <div className="message-text">
      {parts.map((p, i) => (
        <Fragment key={i}>{p}</Fragment>
      ))}
    </div>
  );
});

/** `ts_headline`'s `<b>…</b>` marks as bold, everything else as text. */
export function Highlighted({ html }: { html: string }) {
  const parts = html.split(/(<b>|<\/b>)/);
  const out: ReactNode[] = [];
  let bold = false;
  parts.forEach((p, i) => {
    if (p === '<b>') bold = true;
    else if (p === '</b>') bold = false;
    else if (p) out.push(bold ? <mark key={i}>{p}</mark> : <Fragment key={i}>{p}</Fragment>);
  });
  return <>{out}</>;
}
