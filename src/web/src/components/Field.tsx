import { useId, type ReactNode } from 'react';

/** A labelled form control with its hint and error, wired for screen readers (aria-describedby, aria-invalid). */
export function Field({
  label,
  hint,
  error,
  ok,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  ok?: string | null;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : ok ? `${id}-ok` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="error" id={errorId}>
          {error}
        </p>
      ) : ok ? (
        <p className="ok" id={`${id}-ok`}>
          {ok}
        </p>
      ) : null}
    </div>
  );
}
