/** The platform team's route table: two services of their own, none of the kit's demo; who may call each route. */
import { defineRouteTable } from 'keycloak-lambda-s2s';

export const routes = defineRouteTable({
  inventory: {
    adjust: { method: 'POST', path: '/inventory/adjustments', permissions: ['stock.adjust'], callers: ['orders', 'service-b'] },
    item: { method: 'GET', path: '/inventory/items/{sku}', permissions: ['stock.read'], callers: ['orders'] },
  },
  orders: {
    place: { method: 'POST', path: '/orders', permissions: ['orders.place'], callers: ['web'] },
  },
});
