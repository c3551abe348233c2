/** Small inline icons (decorative: every button that uses one has its own label). */
const common = { width: 18, height: 18, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const, 'aria-hidden': true, focusable: false };

export const HashIcon = () => (
  <svg {...common} width={16} height={16}>
    <path d="M5 9h14M5 15h14M10 3 8 21M16 3l-2 18" />
  </svg>
);
export const LockIcon = () => (
  <svg {...common} width={16} height={16}>
    <rect x="5" y="11" width="14" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </svg>
);
export const PlusIcon = () => (
  <svg {...common}>
    <path d="M12 5v14M5 12h14" />
  </svg>
);
export const SmileIcon = () => (
  <svg {...common}>
    <circle cx="12" cy="12" r="9" />
    <path d="M8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01" />
  </svg>
);
export const ReplyIcon = () => (
  <svg {...common}>
    <path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" />
  </svg>
);
export const EditIcon = () => (
  <svg {...common}>
    <path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z" />
  </svg>
);
export const TrashIcon = () => (
  <svg {...common}>
    <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6" />
  </svg>
);
export const PaperclipIcon = () => (
  <svg {...common}>
    <path d="m21 11-9 9a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8" />
  </svg>
);
export const SendIcon = () => (
  <svg {...common}>
    <path d="m22 2-7 20-4-9-9-4zM22 2 11 13" />
  </svg>
);
export const CloseIcon = () => (
  <svg {...common}>
    <path d="M18 6 6 18M6 6l12 12" />
  </svg>
);
export const MenuIcon = () => (
  <svg {...common}>
    <path d="M3 6h18M3 12h18M3 18h18" />
  </svg>
);
export const SearchIcon = () => (
  <svg {...common}>
    <circle cx="11" cy="11" r="7" />
    <path d="m21 21-4.3-4.3" />
  </svg>
);
export const MoreIcon = () => (
  <svg {...common}>
    <circle cx="5" cy="12" r="1" />
    <circle cx="12" cy="12" r="1" />
    <circle cx="19" cy="12" r="1" />
  </svg>
);
export const FileIcon = () => (
  <svg {...common}>
    <path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z" />
    <path d="M14 2v6h6" />
  </svg>
);
export const ArrowDownIcon = () => (
  <svg {...common} width={16} height={16}>
    <path d="M12 5v14M19 12l-7 7-7-7" />
  </svg>
);
export const BackIcon = () => (
  <svg {...common}>
    <path d="M19 12H5M12 19l-7-7 7-7" />
  </svg>
);
