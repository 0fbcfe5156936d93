import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../scripts/lib/config.mjs';
import { devClientKey, withDevPublicKeys } from '../../../scripts/lib/dev-keys.mjs';
import { hasIntrospectionAudienceRule } from '../../../scripts/lib/doctor-checks.mjs';
import { devCredentialValues, devPublicJwk, keycloakAdminOf, keycloakServerVersion, stack } from '../helpers/stack';

const run = promisify(execFile);
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/;

/** Runs `npm run doctor`'s script against `realm` of the stack's Keycloak; never throws. */
async function doctor(realm: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(projectRoot, 'scripts', 'doctor.mjs')], {
      env: { ...process.env, KEYCLOAK_REALM: realm },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The report line of one check, e.g. `✗ exchange on service-b  …`, and its fix line. */
function checkLines(stdout: string, name: string): string {
  const lines = stdout.split('\n');
  const index = lines.findIndex((line) => new RegExp(`^  [✓✗!–] ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `).test(line));
  if (index < 0) throw new Error(`no check "${name}" in:\n${stdout}`);
  const fix = lines[index + 1]?.trim().startsWith('fix:') ? `\n${lines[index + 1]}` : '';
  return `${lines[index]}${fix}`;
}

function expectNoTokenOrSecret(text: string): void {
  expect(text).not.toMatch(JWT_SHAPE);
  for (const value of devCredentialValues()) expect(text).not.toContain(value);
}

// The introspection audience rule depends on the server's version (26.4.12 / 26.6.2 / 26.7.0 on):
// on an older Keycloak (`npm run test:compat`) the doctor warns, naming the version, where a newer
// one answers active: false.
let ruleOn = true;
let serverVersion = '';
beforeAll(async () => {
  serverVersion = await keycloakServerVersion();
  ruleOn = hasIntrospectionAudienceRule(serverVersion) !== false;
});

describe('npm run doctor on the stack’s own realm', () => {
  it('passes every check and exits 0', async () => {
    const result = await doctor(stack.realm);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(checkLines(result.stdout, 'test exchange service-b → service-c')).toContain('✓');
    expect(checkLines(result.stdout, 'server version')).toContain(`Keycloak ${serverVersion}`);
    if (ruleOn) {
      expect(result.stdout).toMatch(/✓ \d+ passed, 0 failed\.\n$/);
      expect(checkLines(result.stdout, "service-c introspects A's token")).toContain('active: false');
    } else {
      expect(result.stdout).toMatch(/✓ \d+ passed, 0 failed, 2 warnings\.\n$/);
      expect(checkLines(result.stdout, "service-c introspects A's token")).toMatch(
        new RegExp(`! .*active: true .*Keycloak ${serverVersion.replace(/\./g, '\\.')} predates the introspection audience rule`),
      );
    }
    expect(checkLines(result.stdout, 'lifespan vs TTLs')).toMatch(/✓ .*within the access-token lifespan \(300 s/);
    expectNoTokenOrSecret(result.stdout);
  });

  it("compares each client's authenticator with its functions' CLIENT_AUTH_METHOD, and B's key with the one in Secrets Manager", async () => {
    const result = await doctor(stack.realm);

    expect(checkLines(result.stdout, 'authenticator service-a')).toMatch(/✓ .*"Client Id and Secret" \(client-secret\).*configured for client_secret_basic/);
    expect(checkLines(result.stdout, 'authenticator service-b')).toMatch(
      /✓ .*Keycloak expects "Signed JWT" \(client-jwt\) of service-b, and its functions \(authorizerB, serviceB\) are configured for private_key_jwt/,
    );
    expect(checkLines(result.stdout, 'key service-b')).toContain(`publishes the public half of ${stack.secretPrefix}/service-b's key under kid "${devPublicJwk('service-b').kid}"`);
    expectNoTokenOrSecret(result.stdout);
  });
});

/** The stack realm's file under another name, B holding the stack's dev public key as at import; only the service accounts as users. */
function realmCopy(realm: string) {
  const representation = withDevPublicKeys(JSON.parse(readFileSync(stack.realmFile, 'utf8')), (clientId) => devClientKey(stack.stateDir, clientId));
  representation.realm = realm;
  representation.displayName = 'doctor test realm (removed after the test)';
  representation.users = representation.users.filter((user: { serviceAccountClientId?: string }) => user.serviceAccountClientId);
  return representation;
}

describe('npm run doctor on a deliberately broken realm', () => {
  // A copy of the realm under another name: service-b without token exchange, service-a without
  // the scope mapping that puts service-b into its tokens' aud. Only the service accounts as users.
  const realm = `doctor-broken-${Date.now()}`;
  const clientIds: Record<string, string> = {};

  beforeAll(async () => {
    const representation = realmCopy(realm);
    delete representation.clients.find((client: { clientId: string }) => client.clientId === 'service-b').attributes['standard.token.exchange.enabled'];
    representation.clientScopeMappings['service-b'] = [];
    await keycloakAdminOf('', 'POST', '', representation);
    for (const clientId of ['service-a', 'service-b', 'service-c']) {
      const [client] = await keycloakAdminOf(realm, 'GET', `/clients?clientId=${clientId}`);
      clientIds[clientId] = client.id;
    }
  });
  afterAll(async () => {
    await keycloakAdminOf(realm, 'DELETE', '');
  });

  it('fails, names each broken piece in one sentence with its fix, and exits 1', async () => {
    const result = await doctor(realm);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(ruleOn ? /✗ \d+ passed, 4 failed\.\n/ : /✗ \d+ passed, 3 failed, 1 warning\.\n/);
    expect(checkLines(result.stdout, 'exchange on service-b')).toMatch(
      /✗ .*standard token exchange off[\s\S]*fix: Set the client attribute "standard\.token\.exchange\.enabled": "true" on service-b/,
    );
    expect(checkLines(result.stdout, 'own token service-a')).toMatch(
      /✗ .*service-a's own tokens carry aud \(none\), not service-b[\s\S]*fix: Add a client scope mapping of service-b's roles to service-a/,
    );
    // With the rule, B may not introspect a token that does not name B; without it, it may.
    expect(checkLines(result.stdout, "service-b introspects A's token")).toMatch(ruleOn ? /✗ .*active: false .*since Keycloak 26\.6\.2/ : /✓ .*active: true/);
    expect(checkLines(result.stdout, 'test exchange service-b → service-c')).toContain(
      '"Standard token exchange is not enabled for the requested client": service-b may not exchange tokens at all.',
    );
    // What is not broken is not reported as broken.
    expect(checkLines(result.stdout, 'client service-b')).toContain('✓');
    expect(checkLines(result.stdout, 'audience service-b → service-c')).toContain('✓');
    expectNoTokenOrSecret(result.stdout);
  });

  it('explains "Client is not within the token audience" once exchange is on but A’s tokens still miss B', async () => {
    const client = await keycloakAdminOf(realm, 'GET', `/clients/${clientIds['service-b']}`);
    client.attributes['standard.token.exchange.enabled'] = 'true';
    await keycloakAdminOf(realm, 'PUT', `/clients/${clientIds['service-b']}`, client);

    const result = await doctor(realm);

    expect(result.code).toBe(1);
    expect(checkLines(result.stdout, 'exchange on service-b')).toContain('✓');
    expect(checkLines(result.stdout, 'test exchange service-b → service-c')).toMatch(
      /✗ .*Keycloak answered 403 access_denied "Client is not within the token audience": service-b is not in the subject token's aud[\s\S]*fix: Make service-a's tokens name service-b in aud/,
    );
  });

  it('explains "Requested audience not available" when B’s scope cannot produce aud service-c', async () => {
    const roles = await keycloakAdminOf(realm, 'GET', `/clients/${clientIds['service-b']}/roles`);
    await keycloakAdminOf(realm, 'POST', `/clients/${clientIds['service-a']}/scope-mappings/clients/${clientIds['service-b']}`, roles);
    const cRoles = await keycloakAdminOf(realm, 'GET', `/clients/${clientIds['service-b']}/scope-mappings/clients/${clientIds['service-c']}`);
    await keycloakAdminOf(realm, 'DELETE', `/clients/${clientIds['service-b']}/scope-mappings/clients/${clientIds['service-c']}`, cRoles);

    const result = await doctor(realm);

    expect(result.code).toBe(1);
    expect(checkLines(result.stdout, 'own token service-a')).toContain('✓');
    expect(checkLines(result.stdout, 'audience service-b → service-c')).toMatch(
      /✗ .*Nothing in service-b's scope can put service-c into aud[\s\S]*fix: Add a client scope mapping of service-c's roles to service-b/,
    );
    expect(checkLines(result.stdout, 'test exchange service-b → service-c')).toMatch(
      /✗ .*Keycloak answered 400 invalid_request "Requested audience not available: service-c"[\s\S]*fix: Add a client scope mapping of service-c's roles to service-b/,
    );
    expect(result.stdout).toMatch(ruleOn ? /✗ \d+ passed, 2 failed\.\n/ : /✗ \d+ passed, 2 failed, \d+ warnings?\.\n/);
  });
});

describe('npm run doctor on a realm whose client authentication does not match the services', () => {
  // service-b publishes another key under its kid; service-c expects a signed JWT, but its functions send a secret.
  const realm = `doctor-auth-${Date.now()}`;

  beforeAll(async () => {
    const representation = realmCopy(realm);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const serviceB = representation.clients.find((client: { clientId: string }) => client.clientId === 'service-b');
    serviceB.attributes['jwks.string'] = JSON.stringify({ keys: [{ ...stranger, kid: devPublicJwk('service-b').kid, use: 'sig', alg: 'ES256' }] });
    representation.clients.find((client: { clientId: string }) => client.clientId === 'service-c').clientAuthenticatorType = 'client-jwt';
    await keycloakAdminOf('', 'POST', '', representation);
  });
  afterAll(async () => {
    await keycloakAdminOf(realm, 'DELETE', '');
  });

  it("names the mismatched authenticator and the key Keycloak holds that is not B's, skips the calls they would break, and exits 1", async () => {
    const result = await doctor(realm);

    expect(result.code).toBe(1);
    expect(checkLines(result.stdout, 'authenticator service-c')).toMatch(
      /✗ .*Keycloak authenticates service-c with "Signed JWT" \(client-jwt\) but its functions \(authorizerC\) are configured for client_secret_basic[\s\S]*fix: Set service-c's Client Authenticator to "Client Id and Secret"/,
    );
    expect(checkLines(result.stdout, 'key service-b')).toMatch(/✗ .*under kid "[^"]+" in its JWKS is not the public half of the private key in /);
    expect(checkLines(result.stdout, 'key service-c')).toMatch(/✗ .*holds a client secret, not a private key/);
    expect(checkLines(result.stdout, 'test exchange service-b → service-c')).toMatch(/– .*needs a token of service-a and service-b's credentials/);
    expectNoTokenOrSecret(result.stdout);
  });
});
