import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createOrdersHandler } from '../src/orders.js';
import { ISSUER, NOW_SECONDS, TOKEN_ENDPOINT, envOf, fakeFetch, fakeSecrets, jwt } from './fakes.js';

const INVENTORY_URL = 'https://api.example.test/prod';
const subjectToken = jwt({ iss: ISSUER, sub: 'user-7', aud: 'orders', azp: 'web', exp: NOW_SECONDS + 300 });

function placeOrder(token: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/orders',
    path: '/orders',
    headers: { Authorization: `Bearer ${token}` },
    body: JSON.stringify({ sku: 'sku-1' }),
    isBase64Encoded: false,
    requestContext: {
      authorizer: {
        sub: 'user-7',
        clientId: 'web',
        scope: '',
        exp: NOW_SECONDS + 300,
        permissions: 'orders.place',
        tokenHash: createHash('sha256').update(token).digest('hex'),
      },
    },
  } as unknown as APIGatewayProxyEvent;
}

test('exchanges the caller token for one meant for inventory, then adjusts the stock with it', async () => {
  const exchanged = jwt({ iss: ISSUER, sub: 'user-7', aud: 'inventory', azp: 'orders', exp: NOW_SECONDS + 300 });
  const network = fakeFetch((call) =>
    call.url === TOKEN_ENDPOINT ? { access_token: exchanged, token_type: 'Bearer', expires_in: 300 } : { adjusted: true },
  );
  const handler = createOrdersHandler(envOf('orders', { INVENTORY_URL }), { fetch: network.fetch, secretsClient: fakeSecrets(), now: () => NOW_SECONDS * 1000 });

  const response = await handler(placeOrder(subjectToken));

  assert.equal(response.statusCode, 200, response.body);
  assert.deepEqual(JSON.parse(response.body), { placed: 'sku-1', by: 'user-7', adjustment: { adjusted: true } });
  const [exchange, adjust] = network.calls;
  assert.equal(exchange?.form?.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange');
  assert.equal(exchange?.form?.get('audience'), 'inventory');
  assert.equal(exchange?.form?.get('subject_token'), subjectToken);
  assert.equal(adjust?.url, `${INVENTORY_URL}/inventory/adjustments`);
  assert.equal(adjust?.headers.get('authorization'), `Bearer ${exchanged}`);
  assert.deepEqual(JSON.parse(String(adjust?.body)), { sku: 'sku-1', delta: -1 });
});

test('refuses a request whose bearer token is not the one its authorizer decided on', async () => {
  const network = fakeFetch(() => ({}));
  const handler = createOrdersHandler(envOf('orders', { INVENTORY_URL }), { fetch: network.fetch, secretsClient: fakeSecrets() });
  const event = placeOrder(subjectToken);
  event.headers = { Authorization: 'Bearer another-token' };

  const response = await handler(event);

  assert.equal(response.statusCode, 401);
  assert.equal(JSON.parse(response.body).error, 'TOKEN_NOT_AUTHORIZED');
  assert.equal(network.calls.length, 0);
});
