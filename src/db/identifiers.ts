/**
 * The one place identifiers are quoted. Schema and role names are built from validated slugs,
 * but they are still quoted here, always: an identifier is never pasted into SQL any other way.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  if (new TextEncoder().encode(name).length > 63) throw new Error(`SQL identifier longer than 63 bytes: ${name}`);
  if (name.includes('\u0000')) throw new Error('SQL identifier contains NUL');
  return `"${name.replace(/"/g, '""')}"`;
}
