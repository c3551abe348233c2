import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';

export interface ShellSection {
  href: string;
  label: string;
}

/**
 * The frame of the workspace admin and of the operator console: a header with the brand (mark,
 * name and a muted subtitle) and one action, a menu of sections, and the page in `<main id="main">`.
 *
 * The two route differently (the admin with absolute paths, `/admin/...` and `/billing`; the
 * console nested under `/operator`), so the shell does not decide which section is open:
 * `isActive` is asked with each section's `href` and the location as the caller's router sees it
 * (wouter's `useLocation` inside a nested route is relative to it), and links take `href` as the
 * caller's router would.
 */
export function AppShell({
  mark,
  name,
  subtitle,
  action,
  navLabel,
  sections,
  isActive,
  className,
  children,
}: {
  /** The brand mark before the name (e.g. `<BrandMark>`). */
  mark: ReactNode;
  name: string;
  subtitle: string;
  /** The header's one action: a link back, a sign-out button. */
  action: ReactNode;
  /** The menu's accessible name. */
  navLabel: string;
  sections: readonly ShellSection[];
  /** Whether `href`'s section is the one open at `location` (both as the caller's router sees them). */
  isActive: (href: string, location: string) => boolean;
  /** More classes on the page, after `admin-page`. */
  className?: string;
  children: ReactNode;
}) {
  const [location] = useLocation();
  return (
    <div className={className ? `admin-page ${className}` : 'admin-page'}>
      <header className="admin-header">
        <span className="admin-brand">
          {mark}
          <strong>{name}</strong> <span className="muted">{subtitle}</span>
        </span>
        {action}
      </header>
      <div className="admin-body">
        <nav className="admin-nav" aria-label={navLabel}>
          <ul>
            {sections.map((s) => (
              <li key={s.href}>
                <NavLink href={s.href} label={s.label} active={isActive(s.href, location)} />
              </li>
            ))}
          </ul>
        </nav>
        <main className="admin-main" id="main">
          {children}
        </main>
      </div>
    </div>
  );
}

function NavLink({ href, label, active }: { href: string; label: string; active: boolean }) {
  return (
    <Link href={href} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
}

/** A page the shell has no section for: said inside the shell, with the way back to its home. */
export function ShellNotFound({ what, home, homeLabel }: { what: string; home: string; homeLabel: string }) {
  return (
    <section aria-labelledby="shell-not-found">
      <h1 id="shell-not-found">Page not found</h1>
      <p>
        The {what} has no page at this address. <Link href={home}>{homeLabel}</Link>.
      </p>
    </section>
  );
}
