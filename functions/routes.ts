/**
 * The demo's one route table: which service serves which route, and which of that service's
 * permissions (client roles of its Keycloak client) a caller needs. The authorizers build their
 * policies from it and the handlers re-check it; serverless.yml declares the same paths.
 */
import { defineRouteTable } from 'keycloak-lambda-s2s';

export const routes = defineRouteTable({
  'service-a': {
    runAsUser: { method: 'GET', path: '/run-service-b/as-user', permissions: ['orders.read'] },
  },
  'service-b': {
    process: { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'] },
    adjustInventory: { method: 'POST', path: '/api/inventory/adjust', permissions: ['inventory.adjust'] },
  },
  'service-c': {
    compute: { method: 'POST', path: '/api/compute', permissions: ['analytics.run'] },
  },
});
