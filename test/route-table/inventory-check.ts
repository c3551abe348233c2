import { describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { inventory, keyOf } from './table';

/**
 * The checks that keep the table whole, in every suite generated from it: a route of app.routes
 * without an entry, or an entry whose route is gone, makes the suite red.
 */
export function routeTableChecks(): void {
  describe('the route table', () => {
    it('has exactly one entry per route of app.routes', () => {
      const { missing, stale, duplicated } = inventory(app.routes);
      expect({ missingFromTable: missing, notInAppRoutes: stale, duplicated }).toEqual({ missingFromTable: [], notInAppRoutes: [], duplicated: [] });
    });

    it('would report a new route without an entry, and an entry whose route is gone', () => {
      const routes = [...app.routes.filter((r) => keyOf(r) !== 'GET /api/health'), { method: 'POST', path: '/api/brand-new' }];
      expect(inventory(routes)).toMatchObject({ missing: ['POST /api/brand-new'], stale: ['GET /api/health'] });
    });
  });
}
