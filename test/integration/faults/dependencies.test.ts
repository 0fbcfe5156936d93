import { generateKeyPairSync } from 'node:crypto';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putSecret, secretsClient, seedSecrets, startSecretsEmulator, stopSecretsEmulator } from '../../../scripts/lib/secrets.mjs';
import { JWT_SHAPE } from '../helpers/attack';
import {
  type HttpProxy,
  type OfflineInstance,
  type TcpProxy,
  LOG_FLUSH_MS,
  callWithGuard,
  freePort,
  jsonLines,
  startHttpProxy,
  startOfflineInstance,
  startTcpProxy,
  warmUp,
} from '../helpers/side-stack';
import { type ApiAnswer, clientToken, devPublicJwk, devSecretValue, sleep, stack } from '../helpers/stack';

// Faults of what the services depend on — Keycloak slow, Secrets Manager stopped, a secret
// deleted or broken, C unreachable or hanging — on a second offline instance of the same code
// whose caches are cut to about a second (verdicts, secrets, outbound tokens), so that every
// request needs its dependencies and every fault shows, and heals, at once. It reaches Keycloak
// through a delaying TCP proxy (KEYCLOAK_BACKCHANNEL_URL; `iss` stays the real URL) and the
// services reach each other through an HTTP proxy (API_BASE_URL) that can cut C off.

const SECRET_PREFIX = `keycloak-s2s/faults-${process.pid}`;
const CACHE_SECONDS = 1;
/** Longer than every cache of the fault instance: what a test waits for a change to be seen. */
const CACHES_EXPIRE_MS = CACHE_SECONDS * 1000 + 500;

const emulator = secretsClient(stack);
const secretIdOf = (clientId: string) => `${SECRET_PREFIX}/${clientId}`;
/** The value the stack seeds: a client secret, or for service-b (private_key_jwt) its dev private key. */
const goodValue = (clientId: string) => devSecretValue(clientId);

async function seedFaultSecrets(): Promise<void> {
  for (const clientId of ['service-a', 'service-b', 'service-c']) await putSecret(emulator, secretIdOf(clientId), goodValue(clientId));
}

async function deleteSecret(clientId: string): Promise<void> {
  await emulator.send(new DeleteSecretCommand({ SecretId: secretIdOf(clientId), ForceDeleteWithoutRecovery: true }));
}

let keycloakProxy: TcpProxy;
let apiProxy: HttpProxy;
let faults: OfflineInstance;

const runA = () => callWithGuard(faults.apiUrl, 'GET', '/run-service-b');
const adjustAtB = async (token?: string) =>
  callWithGuard(faults.apiUrl, 'POST', '/api/inventory/adjust', { token: token ?? (await clientToken('service-a')), body: { sku: 'F-1', delta: 1 } });

/** The authorizer's fail-closed log lines for `service` with `code`, written after `since` lines. */
async function failedClosed(service: string, code: string, since: number): Promise<Record<string, unknown>[]> {
  await sleep(LOG_FLUSH_MS);
  return jsonLines(faults.log())
    .slice(since)
    .filter((line) => line.message === 'authorizer failed closed' && line.service === `authorizer-${service}` && line.code === code);
}
const logLength = () => jsonLines(faults.log()).length;

/** What every failure answer must show: the status, the stable code, a clear message, no token, no secret's name. */
function expectFailure(answer: ApiAnswer, status: number, body: Record<string, unknown>): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.body).toMatchObject(body);
  expect(answer.text).not.toMatch(JWT_SHAPE);
  expect(answer.text).not.toContain(SECRET_PREFIX);
}

/** The `request failed` lines of `service` since `since` whose logged error message contains `detail`: the detail the body leaves out. */
function detailLogged(service: string, code: string, detail: string, since: number): Record<string, unknown>[] {
  return jsonLines(faults.log())
    .slice(since)
    .filter((line) => line.service === service && line.message === 'request failed' && line.code === code)
    .filter((line) => String((line.error as { message?: unknown } | undefined)?.message ?? '').includes(detail));
}

beforeAll(async () => {
  await seedFaultSecrets();
  keycloakProxy = await startTcpProxy({ host: stack.host, port: Number(new URL(stack.keycloakUrl).port) });
  const httpPort = await freePort();
  apiProxy = await startHttpProxy({ host: stack.host, port: httpPort });
  faults = await startOfflineInstance(
    'faults',
    {
      KEYCLOAK_BACKCHANNEL_URL: keycloakProxy.url,
      API_BASE_URL: `${apiProxy.url}/${stack.stage}`,
      SECRET_PREFIX,
      INTROSPECTION_CACHE_TTL_SECONDS: String(CACHE_SECONDS),
      SECRETS_CACHE_TTL_SECONDS: String(CACHE_SECONDS),
      // Outbound tokens live 300 s: renewing them 299 s early caches them for about a second.
      TOKEN_EXPIRY_SKEW_SECONDS: '299',
    },
    { httpPort },
  );
  await warmUp(faults.apiUrl); // loads every function of the new instance once
}, 180_000);

afterAll(async () => {
  await faults?.stop();
  await keycloakProxy?.close();
  await apiProxy?.close();
  for (const clientId of ['service-a', 'service-b', 'service-c']) await deleteSecret(clientId).catch(() => {});
  emulator.destroy();
});

describe('the fault instance', () => {
  it('serves the chain through both proxies when nothing is wrong (control)', async () => {
    const answer = await runA();

    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
  });
});

describe('Keycloak slower than the 3 s timeout', () => {
  it('gives 503 KEYCLOAK_UNAVAILABLE at A, fails B’s authorizer closed, and heals as soon as Keycloak is fast again', async () => {
    const token = await clientToken('service-a'); // straight from Keycloak, not through the proxy
    await sleep(CACHES_EXPIRE_MS);
    const since = logLength();
    keycloakProxy.delayMs = 4_000;
    try {
      const atA = await runA();
      const atB = await adjustAtB(token);

      expectFailure(atA, 503, { error: 'KEYCLOAK_UNAVAILABLE', message: 'The identity provider is unavailable' });
      // serverless offline turns any authorizer error into 401; API Gateway answers 503 (gateway responses).
      expect(atB.status).toBe(401);
      expect(await failedClosed('service-b', 'KEYCLOAK_UNAVAILABLE', since)).not.toHaveLength(0);
      // The detail the body leaves out is in A's log.
      expect(detailLogged('service-a', 'KEYCLOAK_UNAVAILABLE', 'Keycloak did not answer within 3000 ms', since)).not.toHaveLength(0);
    } finally {
      keycloakProxy.delayMs = 0;
    }

    expect((await runA()).status).toBe(200);
    expect((await adjustAtB(token)).status).toBe(200);
  }, 90_000);

  it('still serves when Keycloak is slow but within the timeout', async () => {
    await sleep(CACHES_EXPIRE_MS);
    keycloakProxy.delayMs = 250;
    try {
      const answer = await runA();

      expect(answer.status).toBe(200);
    } finally {
      keycloakProxy.delayMs = 0;
    }
  }, 60_000);
});

describe('C unreachable', () => {
  it('makes B answer 502 DOWNSTREAM_UNAVAILABLE and A report it as 502 from service-b; healed once C is back', async () => {
    apiProxy.faultFor = (path) => (path.includes('/api/compute') ? 'reset' : 'pass');
    try {
      const atB = await callWithGuard(faults.apiUrl, 'POST', '/api/process', { token: await clientToken('service-a'), body: { order_id: 1, amount: 1 } });
      const atA = await runA();

      expectFailure(atB, 502, { error: 'DOWNSTREAM_UNAVAILABLE', message: 'A downstream service is unavailable' });
      expectFailure(atA, 502, {
        error: 'DOWNSTREAM_REJECTED',
        service: 'service-b',
        status: 502,
        message: 'A downstream service refused the request',
      });
    } finally {
      apiProxy.faultFor = () => 'pass';
    }

    expect((await runA()).status).toBe(200);
  }, 60_000);

  it('makes B give up on a hanging C after its 8 s timeout with 502, instead of hanging', async () => {
    apiProxy.faultFor = (path) => (path.includes('/api/compute') ? 'hang' : 'pass');
    try {
      const atB = await callWithGuard(faults.apiUrl, 'POST', '/api/process', { token: await clientToken('service-a'), body: { order_id: 1, amount: 1 } });

      expectFailure(atB, 502, { error: 'DOWNSTREAM_UNAVAILABLE', message: 'A downstream service is unavailable' });
    } finally {
      apiProxy.faultFor = () => 'pass';
    }
  }, 60_000);
});

describe('Secrets Manager faults', () => {
  it('gives 500 SECRET_NOT_FOUND at A while its secret is deleted, and heals when it is back', async () => {
    await deleteSecret('service-a');
    try {
      await sleep(CACHES_EXPIRE_MS);
      const since = logLength();
      const answer = await runA();

      expectFailure(answer, 500, { error: 'SECRET_NOT_FOUND', message: 'The service cannot read its credentials' });
      await sleep(LOG_FLUSH_MS);
      expect(detailLogged('service-a', 'SECRET_NOT_FOUND', `Secret "${secretIdOf('service-a')}" was not found`, since)).not.toHaveLength(0);
    } finally {
      await putSecret(emulator, secretIdOf('service-a'), goodValue('service-a'));
    }

    expect((await runA()).status).toBe(200);
  }, 60_000);

  it('gives 500 SECRET_INVALID at A while its secret is not JSON, without echoing the value, and heals', async () => {
    await putSecret(emulator, secretIdOf('service-a'), '{"client_id":"service-a","client_secret":"leak-me');
    try {
      await sleep(CACHES_EXPIRE_MS);
      const answer = await runA();

      expectFailure(answer, 500, { error: 'SECRET_INVALID', message: 'The service cannot read its credentials' });
      expect(answer.text).not.toContain('leak-me');
    } finally {
      await putSecret(emulator, secretIdOf('service-a'), goodValue('service-a'));
    }

    expect((await runA()).status).toBe(200);
  }, 60_000);

  it('gives 500 SECRET_INVALID at A when the secret names another client', async () => {
    await putSecret(emulator, secretIdOf('service-a'), JSON.stringify({ client_id: 'service-b', client_secret: 'secret-of-another-client' }));
    try {
      await sleep(CACHES_EXPIRE_MS);
      const answer = await runA();

      expectFailure(answer, 500, { error: 'SECRET_INVALID' });
      expect(answer.body.message).toBe('The service cannot read its credentials');
      expect(answer.text).not.toContain('secret-of-another-client');
    } finally {
      await putSecret(emulator, secretIdOf('service-a'), goodValue('service-a'));
    }

    expect((await runA()).status).toBe(200);
  }, 60_000);

  it('fails B’s authorizer closed with SECRET_NOT_FOUND while B’s secret is deleted, and heals', async () => {
    const since = logLength();
    await deleteSecret('service-b');
    try {
      await sleep(CACHES_EXPIRE_MS);
      const answer = await adjustAtB();

      expect(answer.status).toBe(401); // 503 behind API Gateway
      expect(await failedClosed('service-b', 'SECRET_NOT_FOUND', since)).not.toHaveLength(0);
    } finally {
      await putSecret(emulator, secretIdOf('service-b'), goodValue('service-b'));
    }

    expect((await adjustAtB()).status).toBe(200);
  }, 60_000);

  // service-b authenticates with a signed JWT (private_key_jwt): a bad key fails at its first use, in
  // one sentence naming the field, never echoing the key and never falling back to a secret.
  const keyOf = (fields: Record<string, unknown>) => JSON.stringify({ client_id: 'service-b', client_auth: 'private_key_jwt', ...fields });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  it.each([
    ['a private key whose public half Keycloak does not know (under the published kid)', 'CLIENT_AUTHENTICATION_FAILED', 'ASSERTION_SIGNATURE_INVALID', () => keyOf({ private_key_jwk: { ...stranger, kid: devPublicJwk('service-b').kid } })],
    ['a private key under a kid Keycloak does not know', 'CLIENT_AUTHENTICATION_FAILED', 'ASSERTION_KEY_UNKNOWN', () => keyOf({ private_key_jwk: { ...stranger, kid: 'not-published' } })],
    ['a value that is not a key', 'SECRET_INVALID', 'private_key_pem must be a PKCS#8 PEM string', () => keyOf({ private_key_pem: 'not a key', kid: 'k' })],
    ['a client secret (no fallback)', 'SECRET_INVALID', 'client_auth is absent (client_secret_basic) but this service is configured for "private_key_jwt"', () => JSON.stringify({ client_id: 'service-b', client_secret: 'a-shared-secret' })],
  ] as const)('fails B’s authorizer closed on %s: %s (%s), and heals', async (_case, code, detail, value) => {
    await putSecret(emulator, secretIdOf('service-b'), value());
    try {
      await sleep(CACHES_EXPIRE_MS);
      const since = logLength();
      const answer = await adjustAtB();

      expect(answer.status).toBe(401); // 503 behind API Gateway
      const lines = await failedClosed('service-b', code, since);
      expect(lines).not.toHaveLength(0);
      expect(String((lines[0]?.error as { message?: unknown } | undefined)?.message)).toContain(detail);
      const logged = jsonLines(faults.log()).slice(since).map((line) => JSON.stringify(line)).join('\n');
      expect(logged).not.toContain(String(stranger.d));
      expect(logged).not.toContain('a-shared-secret');
      expect(answer.text).not.toContain(String(stranger.d));
    } finally {
      await putSecret(emulator, secretIdOf('service-b'), goodValue('service-b'));
    }

    expect((await adjustAtB()).status).toBe(200);
  }, 60_000);

  it('gives 503 SECRETS_UNAVAILABLE at A while the emulator is stopped, and heals once it is back', async () => {
    const since = logLength();
    await stopSecretsEmulator(stack);
    try {
      await sleep(CACHES_EXPIRE_MS);
      const atA = await runA();
      const atB = await adjustAtB();

      expectFailure(atA, 503, { error: 'SECRETS_UNAVAILABLE', message: 'The service cannot reach its credentials store' });
      expect(atB.status).toBe(401); // 503 behind API Gateway
      expect(await failedClosed('service-b', 'SECRETS_UNAVAILABLE', since)).not.toHaveLength(0);
    } finally {
      // moto keeps its data in memory: a restarted emulator is empty, so seed the stack's and ours.
      await startSecretsEmulator(stack);
      await seedSecrets(stack);
      await seedFaultSecrets();
    }

    expect((await runA()).status).toBe(200);
    expect((await adjustAtB()).status).toBe(200);
  }, 90_000);
});
