/** The origin of a workspace on the platform's domain, with this page's scheme and port. */
export function workspaceOrigin(slug: string, baseDomain: string): string {
  const port = location.port ? `:${location.port}` : '';
  return `${location.protocol}//${slug}.${baseDomain}${port}`;
}
