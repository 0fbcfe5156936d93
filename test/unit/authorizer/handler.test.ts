import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_STAGE_PREFIX, tokenAuthorizerEvent } from '../helpers/events';
import { createFakeFetch, jsonResponse } from '../helpers/fake-fetch';
import { signJwt, testJwks } from '../helpers/jwt';
import { ISSUER, KEYCLOAK_URL, REALM } from '../helpers/keycloak';

/**
 * The demo's authorizer entry point, as Lambda loads it: settings from `process.env`, the demo's route
 * table, the global `fetch`. `AUTH_MODE=jwt` keeps it to the key set (no secret, no introspection).
 */
async function loadAuthorizer(service: string) {
  vi.stubEnv('SERVICE_NAME', service);
  vi.stubEnv('CLIENT_SECRET_ID', `dev/keycloak/${service}`);
  vi.stubEnv('KEYCLOAK_URL', KEYCLOAK_URL);
  vi.stubEnv('KEYCLOAK_REALM', REALM);
  vi.stubEnv('AUTH_MODE', 'jwt');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  const jwks = await testJwks();
  const fake = createFakeFetch(() => jsonResponse(jwks));
  vi.stubGlobal('fetch', fake.fetch);
  vi.resetModules();
  const { handler } = await import('../../../authorizer/handler');
  return { handler, fake };
}

function tokenFor(audience: string, azp: string, roles: string[]): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return signJwt({ iss: ISSUER, sub: 'user-1', aud: audience, azp, typ: 'Bearer', exp: nowSeconds + 300, resource_access: { [audience]: { roles } } });
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe('the demo authorizer (authorizer/handler.ts)', () => {
  it("allows service-a the routes of the service SERVICE_NAME names, from the demo's route table", async () => {
    // Prepare
    const { handler, fake } = await loadAuthorizer('service-b');
    const token = await tokenFor('service-b', 'service-a', ['orders.approve', 'inventory.adjust']);

    // Act
    const policy = await handler(tokenAuthorizerEvent(`Bearer ${token}`));

    // Assess
    expect(policy.policyDocument.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: [`${API_STAGE_PREFIX}/POST/api/process`, `${API_STAGE_PREFIX}/POST/api/inventory/adjust`],
    });
    expect(fake.calls.map((c) => c.url)).toEqual([`${ISSUER}/protocol/openid-connect/certs`]);
  });

  it('deployed for service-c, refuses a token meant for service-b', async () => {
    // Prepare
    const { handler } = await loadAuthorizer('service-c');
    const token = await tokenFor('service-b', 'service-a', ['orders.approve', 'inventory.adjust']);

    // Act
    const refusal = await handler(tokenAuthorizerEvent(`Bearer ${token}`)).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(refusal).toMatchObject({ message: 'Unauthorized' });
  });
});
