import { useEffect, useRef, useState, type RefObject } from 'react';
import { useMediaQuery } from '../lib/useMediaQuery';

/** Where the sidebar becomes a drawer over the chat (styles/chat.css, "small screens"). */
export const NARROW_SCREEN = '(max-width: 760px)';

/**
 * The sidebar on a narrow screen: a modal drawer. Opening it moves focus into it (to the open
 * channel), Escape closes it, what is behind it is inert (`background`: neither tabbable nor
 * read out), and closing it gives focus back to the button that opened it, or, when that one is
 * gone (a channel was chosen, so the pane is a new one), to the new pane's "Show channels"
 * button (`data-sidebar-toggle`). On a wide screen the sidebar is always there: nothing to do.
 */
export function useSidebarDrawer(sidebar: RefObject<HTMLElement | null>): { open: boolean; modal: boolean; show(): void; hide(): void } {
  const narrow = useMediaQuery(NARROW_SCREEN);
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLElement | null>(null);
  const modal = narrow && open;

  // Widened past the drawer's breakpoint: the sidebar is simply there.
  useEffect(() => {
    if (!narrow) setOpen(false);
  }, [narrow]);

  useEffect(() => {
    if (!modal) return;
    const nav = sidebar.current;
    (nav?.querySelector<HTMLElement>('[aria-current="page"]') ?? nav?.querySelector<HTMLElement>('a[href], button:not([disabled])'))?.focus();
    const onKey = (e: KeyboardEvent) => {
      // Escape that closed a menu or a dialog inside the drawer is theirs, not the drawer's.
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
      e.preventDefault();
      setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      const back = opener.current?.isConnected ? opener.current : document.querySelector<HTMLElement>('[data-sidebar-toggle]');
      back?.focus();
    };
  }, [modal, sidebar]);

  return {
    open,
    modal,
    show() {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      setOpen(true);
    },
    hide: () => setOpen(false),
  };
}
