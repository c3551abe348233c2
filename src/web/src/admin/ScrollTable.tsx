import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways on a narrow screen, in a focusable, labelled region (so keyboard
 * users can scroll it too). A real table keeps its column headers for screen readers. The
 * wrapper is positioned (admin.css) so visually hidden headers are clipped with it instead of
 * widening the page, which a phone would answer by zooming the whole page out.
 */
export function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
