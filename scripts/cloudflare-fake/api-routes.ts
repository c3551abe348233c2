/**
 * Cloudflare's custom hostnames API under /client/v4, the part nchat's Worker calls through the
 * cloudflare SDK (client.customHostnames.create/get/list/edit/delete). Status codes are
 * Cloudflare's: 201 for a create, 202 for an edit, 200 otherwise. The zone comes first: a
 * malformed zone id is a 400 and one the token cannot reach a 404 (both code 7003), before the
 * hostname is looked at.
 */
import { envelope, invalidHostnameId, zoneNotRoutable } from './envelope';
import { isHostnameId } from './objects';
import { json, SEGMENT, type Route, type RouteContext } from './router';

const ZONE_ID = /^[0-9a-f]{32}$/;
export const COLLECTION = new RegExp(`^/client/v4/zones/${SEGMENT}/custom_hostnames$`);
export const ITEM = new RegExp(`^/client/v4/zones/${SEGMENT}/custom_hostnames/${SEGMENT}$`);

/** The zone of the path, checked. */
function zone(ctx: RouteContext): string {
  const zoneId = ctx.ids[0]!;
  const path = `/zones/${zoneId}/custom_hostnames`;
  if (!ZONE_ID.test(zoneId)) throw zoneNotRoutable(path, 400);
  if (!ctx.state.zoneExists(zoneId)) throw zoneNotRoutable(path, 404);
  return zoneId;
}

/** The custom hostname id of the path, checked for form (1435) before it is looked up (1436). */
function hostnameId(ctx: RouteContext): string {
  const id = ctx.ids[1]!;
  if (!isHostnameId(id)) throw invalidHostnameId();
  return id;
}

export const apiRoutes: Route[] = [
  { method: 'POST', pattern: COLLECTION, handle: (ctx) => json(envelope(ctx.state.create(zone(ctx), ctx.body)), 201) },
  {
    method: 'GET',
    pattern: COLLECTION,
    handle: (ctx) => {
      const { result, info } = ctx.state.list(zone(ctx), ctx.query);
      return json(envelope(result, info));
    },
  },
  { method: 'GET', pattern: ITEM, handle: (ctx) => json(envelope(ctx.state.get(zone(ctx), hostnameId(ctx)))) },
  { method: 'PATCH', pattern: ITEM, handle: (ctx) => json(envelope(ctx.state.edit(zone(ctx), hostnameId(ctx), ctx.body)), 202) },
  {
    method: 'DELETE',
    pattern: ITEM,
    handle: (ctx) => {
      // Cloudflare documents the answer as `{ id }` (the SDK returns the body as is, not its
      // `result`), inside the usual envelope: both are here, so either reading works.
      const removed = ctx.state.remove(zone(ctx), hostnameId(ctx));
      return json({ id: removed.id, ...envelope(removed) });
    },
  },
];
