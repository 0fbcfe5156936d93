/**
 * The demo's one route table: which service serves which route, which clients may call it (`azp`:
 * zero trust per hop) and which of that service's permissions (client roles of its Keycloak client)
 * the caller needs. The authorizers build their policies from it and the handlers re-check it;
 * serverless.yml declares the same paths.
 */
import { defineRouteTable } from 'keycloak-lambda-s2s';

export const routes = defineRouteTable({
  'service-a': {
    // The user-facing client users sign in with: demo-cli on the local stack (dev only).
    runAsUser: { method: 'GET', path: '/run-service-b/as-user', permissions: ['orders.read'], callers: ['demo-cli'] },
  },
  'service-b': {
    // A, as itself or on a user's behalf (A exchanged the user's token, so azp is service-a).
    process: { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'], callers: ['service-a'] },
    adjustInventory: { method: 'POST', path: '/api/inventory/adjust', permissions: ['inventory.adjust'], callers: ['service-a'] },
  },
  'service-c': {
    compute: { method: 'POST', path: '/api/compute', permissions: ['analytics.run'], callers: ['service-b'] },
  },
});
