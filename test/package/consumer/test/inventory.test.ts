import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createInventoryHandler } from '../src/inventory.js';
import { NOW_SECONDS } from './fakes.js';

function adjust(body: unknown, permissions: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/inventory/adjustments',
    headers: {},
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { authorizer: { sub: 'user-7', clientId: 'orders', scope: '', exp: NOW_SECONDS + 300, permissions } },
  } as unknown as APIGatewayProxyEvent;
}

const handler = createInventoryHandler({ now: () => NOW_SECONDS * 1000 });

test('adjusts the stock for a caller holding stock.adjust', async () => {
  const response = await handler(adjust({ sku: 'sku-1', delta: -1 }, 'stock.adjust'));

  assert.equal(response.statusCode, 200);
  assert.deepEqual(JSON.parse(response.body), { adjusted: { sku: 'sku-1', delta: -1 }, by: 'inventory', caller: { sub: 'user-7', azp: 'orders' } });
});

test('answers 403 to a caller without stock.adjust and 400 naming the field to a bad body', async () => {
  const denied = await handler(adjust({ sku: 'sku-1', delta: -1 }, 'stock.read'));
  const bad = await handler(adjust({ sku: 'sku-1', delta: 0 }, 'stock.adjust'));

  assert.equal(denied.statusCode, 403);
  assert.equal(bad.statusCode, 400);
  assert.equal(JSON.parse(bad.body).field, 'delta');
});
