import type { UserView } from '../../api/types';

const PALETTE = ['#1d4ed8', '#7c3aed', '#b91c1c', '#047857', '#b45309', '#0e7490', '#be185d', '#4338ca'];

function colourFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length]!;
}

/**
 * A person's picture, or their initials on a colour of their own (white on it reads at AA). The
 * picture may be on anyone's server: it is asked for without a Referer, so that server does not
 * learn which workspace (host) is looking.
 */
export function Avatar({ userId, user, size = 36 }: { userId: string; user: UserView | undefined; size?: number }) {
  const name = user?.displayName ?? '';
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.4 }} aria-hidden="true">
      {user?.avatarUrl ? <img src={user.avatarUrl} alt="" width={size} height={size} referrerPolicy="no-referrer" /> : <span style={{ background: colourFor(userId) }}>{initials || '?'}</span>}
    </span>
  );
}
