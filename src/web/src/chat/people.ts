import { api } from '../api/endpoints';
import { ApiError, describeError } from '../api/errors';
import { notices } from '../lib/notices';
import type { UserView } from '../api/types';
import { Store } from '../lib/store';

/**
 * Who is who: messages carry user ids, people want names. Loaded with the workspace's first
 * page of people; anyone not in it is looked up once, on first sight.
 */
export class PeopleDirectory extends Store<ReadonlyMap<string, UserView>> {
  private inFlight = new Set<string>();
  private missing = new Set<string>();

  constructor(me: UserView) {
    super(new Map([[me.id, me]]));
  }

  async loadFirstPage(): Promise<void> {
    const { users } = await api.users({ limit: 100 });
    this.merge(users);
  }

  merge(users: UserView[]): void {
    if (!users.length) return;
    this.update((m) => {
      const next = new Map(m);
      for (const u of users) next.set(u.id, u);
      return next;
    });
  }

  /** Looks up ids not known yet (each once, whatever happens). */
  ensure(ids: Iterable<string>): void {
    const known = this.get();
    for (const id of ids) {
      if (known.has(id) || this.inFlight.has(id) || this.missing.has(id)) continue;
      this.inFlight.add(id);
      api
        .user(id)
        .then(({ user }) => this.merge([user]))
        .catch((err: unknown) => {
          // Gone (deactivated and removed): a former member. Anything else is said, once.
          if (err instanceof ApiError && err.status === 404) this.missing.add(id);
          else notices.toast(`Could not load someone's name: ${describeError(err)}`);
        })
        .finally(() => this.inFlight.delete(id));
    }
  }

  name(id: string): string {
    return this.get().get(id)?.displayName ?? (this.missing.has(id) ? 'Former member' : '…');
  }

  /** People whose name or e-mail starts with `prefix` (for @mention autocomplete), known locally. */
  matching(prefix: string, limit = 8): UserView[] {
    const p = prefix.toLowerCase();
    const out: UserView[] = [];
    for (const u of this.get().values()) {
      if (u.status !== 'active') continue;
      const name = u.displayName.toLowerCase();
      if (!p || name.startsWith(p) || name.split(/\s+/).some((w) => w.startsWith(p)) || u.email.toLowerCase().startsWith(p)) out.push(u);
    }
    return out.sort((a, b) => a.displayName.localeCompare(b.displayName)).slice(0, limit);
  }
}

/**
 * The handle that mentions a person: the server resolves `@handle` to the active user whose
 * e-mail local part, or display name without spaces, it is (case-insensitive).
 */
export function mentionHandle(u: UserView): string {
  const compact = u.displayName.replace(/\s+/g, '').toLowerCase();
  if (/^[a-z0-9][a-z0-9._-]{0,63}$/.test(compact) && !/[._-]$/.test(compact)) return compact;
  return u.email.split('@')[0]!.toLowerCase();
}
