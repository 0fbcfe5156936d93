import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAuthorizer } from 'keycloak-lambda-s2s/lambda';
import { routes } from '../src/routes.js';
import { ISSUER, NOW_SECONDS, envOf, fakeFetch, fakeSecrets } from './fakes.js';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/inventory/items/sku-1';
const PREFIX = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod';

function authorizerAnswering(introspection: Record<string, unknown>) {
  const keycloak = fakeFetch(() => introspection);
  const handler = createAuthorizer({
    routes,
    env: envOf('inventory', { AUTH_MODE: 'introspection' }),
    overrides: { fetch: keycloak.fetch, secretsClient: fakeSecrets(), now: () => NOW_SECONDS * 1000 },
  });
  return { handler, keycloak };
}

const active = (extra: Record<string, unknown>) => ({
  active: true,
  typ: 'Bearer',
  iss: ISSUER,
  sub: 'user-7',
  azp: 'orders',
  exp: NOW_SECONDS + 300,
  ...extra,
});

test('allows exactly the inventory routes the token grants, with path parameters as wildcards', async () => {
  const { handler, keycloak } = authorizerAnswering(active({ aud: 'inventory', resource_access: { inventory: { roles: ['stock.read'] } } }));

  const policy = await handler({ type: 'TOKEN', authorizationToken: 'Bearer opaque-token', methodArn: METHOD_ARN });

  assert.deepEqual(policy.policyDocument.Statement, [
    { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${PREFIX}/GET/inventory/items/*`] },
  ]);
  assert.equal(policy.context?.clientId, 'orders');
  assert.equal(keycloak.calls.length, 1);
  assert.equal(keycloak.calls[0]?.url, `${ISSUER}/protocol/openid-connect/token/introspect`);
});

test("refuses a token meant for the orders service with 401, never an Allow", async () => {
  const { handler } = authorizerAnswering(active({ aud: 'orders', resource_access: { orders: { roles: ['orders.place'] } } }));

  await assert.rejects(handler({ type: 'TOKEN', authorizationToken: 'Bearer opaque-token', methodArn: METHOD_ARN }), { message: 'Unauthorized' });
});

test('fails when it is created on a configuration error, naming the variable', () => {
  assert.throws(() => createAuthorizer({ routes, env: envOf('billing') }), { message: 'Environment variable SERVICE_NAME must be one of inventory, orders' });
});
