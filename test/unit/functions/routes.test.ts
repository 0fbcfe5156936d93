import { describe, expect, it } from 'vitest';
import { routesAllowed } from 'keycloak-lambda-s2s';
import { routes } from '../../../functions/routes';

describe("the demo's route table", () => {
  it.each([
    ['service-a', 'runAsUser', { method: 'GET', path: '/run-service-b/as-user', permissions: ['orders.read'], callers: ['demo-cli'] }],
    ['service-b', 'process', { method: 'POST', path: '/api/process', permissions: ['orders.approve', 'inventory.adjust'], callers: ['service-a'] }],
    ['service-b', 'adjustInventory', { method: 'POST', path: '/api/inventory/adjust', permissions: ['inventory.adjust'], callers: ['service-a'] }],
    ['service-c', 'compute', { method: 'POST', path: '/api/compute', permissions: ['analytics.run'], callers: ['service-b'] }],
  ] as const)('declares %s route %s with its callers and the permissions it needs', (service, name, route) => {
    // Act
    const declared = (routes[service] as Record<string, unknown>)[name];

    // Assess
    expect(declared).toEqual(route);
  });

  it("allows nothing of service-b to a token with service-c's permission", () => {
    // Act
    const allowed = routesAllowed(routes['service-b'], { clientId: 'service-b', permissions: ['analytics.run'] });

    // Assess
    expect(allowed).toEqual([]);
  });
});
