/**
 * A workspace address (slug), as the platform allows it: lowercase letters, digits and single
 * hyphens, not at either end, 3 to 32 characters. Checked before any address is built from one:
 * what a person types must not become another host (`evil.com#` would).
 */
const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Why `slug` is not a workspace address, or null when it is one (or is empty: nothing to say yet). */
export function slugProblem(slug: string): string | null {
  if (!slug) return null;
  if (slug.length < 3) return 'Use at least 3 characters.';
  if (slug.length > 32) return 'Use at most 32 characters.';
  if (!SLUG_RE.test(slug)) return 'Use lowercase letters, digits and single hyphens, not at the start or end.';
  return null;
}
