/**
 * service-b authenticates to Keycloak with signed JWTs (private_key_jwt) and has no secret: what
 * Keycloak holds for its client, and what B's functions actually send, recorded by a TCP proxy on
 * B's back-channel Keycloak URL (KEYCLOAK_BACKCHANNEL_URL) in front of a second offline instance.
 * Recorded requests stay in memory and are summarised (header and field names, a JWT's claims);
 * no assertion, secret or Authorization value is ever printed.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../../../scripts/lib/oidc.mjs';
import { type OfflineInstance, type RecordedRequest, type TcpProxy, callWithGuard, startOfflineInstance, startTcpProxy, warmUp } from '../helpers/side-stack';
import { devPublicJwk, endpoints, issuer, keycloakAdmin, sleep, stack } from '../helpers/stack';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Longer than the instance's verdict and outbound-token caches (about a second each). */
const CACHES_EXPIRE_MS = 1500;

/** What a test may look at of a recorded Keycloak request: never a credential's value. */
interface Summary {
  endpoint: 'token' | 'introspect';
  grantType: string | undefined;
  /** Who the request authenticated as: the Basic user, or the form's client_id. */
  client: string | undefined;
  authorizationScheme: string | undefined;
  basicUser: string | undefined;
  fields: string[];
  assertionType: string | undefined;
  /** The assertion's header `kid` and claims, when there is one. */
  assertion: { kid: unknown; iss: unknown; sub: unknown; aud: unknown; jti: boolean; lifetime: number } | undefined;
}

function summarise(request: RecordedRequest): Summary | undefined {
  const endpoint = request.path.endsWith('/protocol/openid-connect/token')
    ? 'token'
    : request.path.endsWith('/protocol/openid-connect/token/introspect')
      ? 'introspect'
      : undefined;
  if (request.method !== 'POST' || !endpoint) return undefined;
  const form = new URLSearchParams(request.body);
  const [scheme, credentials] = (request.headers.authorization ?? '').split(' ');
  const basicUser = scheme?.toLowerCase() === 'basic' && credentials ? decodeURIComponent(Buffer.from(credentials, 'base64').toString('utf8').split(':')[0] ?? '') : undefined;
  const jwt = form.get('client_assertion');
  let assertion: Summary['assertion'];
  if (jwt) {
    const claims = decodeJwt(jwt);
    assertion = {
      kid: decodeProtectedHeader(jwt).kid,
      iss: claims.iss,
      sub: claims.sub,
      aud: claims.aud,
      jti: typeof claims.jti === 'string' && claims.jti.length > 0,
      lifetime: Number(claims.exp) - Number(claims.iat),
    };
  }
  return {
    endpoint,
    grantType: form.get('grant_type') ?? undefined,
    client: basicUser ?? form.get('client_id') ?? undefined,
    authorizationScheme: scheme || undefined,
    basicUser,
    fields: [...form.keys()].sort(),
    assertionType: form.get('client_assertion_type') ?? undefined,
    assertion,
  };
}

let recorder: TcpProxy;
let instance: OfflineInstance;

beforeAll(async () => {
  recorder = await startTcpProxy({ host: stack.host, port: Number(new URL(stack.keycloakUrl).port) }, { record: true });
  instance = await startOfflineInstance('recording', {
    KEYCLOAK_BACKCHANNEL_URL: recorder.url,
    // Short caches: every request after a short pause needs B's introspection and exchange again.
    INTROSPECTION_CACHE_TTL_SECONDS: '1',
    // Outbound tokens live 300 s: renewing them 299 s early caches them for about a second.
    TOKEN_EXPIRY_SKEW_SECONDS: '299',
  });
  await warmUp(instance.apiUrl);
}, 180_000);

afterAll(async () => {
  await instance?.stop();
  await recorder?.close();
});

describe("service-b's Keycloak client", () => {
  it('authenticates with a signed JWT, holds the dev public key, and has no secret', async () => {
    // Act
    const [client] = (await keycloakAdmin('GET', '/clients?clientId=service-b')) as { id: string; clientAuthenticatorType: string; attributes: Record<string, string> }[];
    const secret = (await keycloakAdmin('GET', `/clients/${client?.id}/client-secret`)) as { value?: string };

    // Assess
    expect(client?.clientAuthenticatorType).toBe('client-jwt');
    expect(secret.value ?? '').toBe('');
    // Stacks sharing this Keycloak (KEYCLOAK_URL) add their own dev keys beside the main stack's.
    expect(JSON.parse(client?.attributes['jwks.string'] ?? '{}').keys.map((key: { kid: string }) => key.kid)).toContain(devPublicJwk('service-b').kid);
  });

  it('refuses HTTP Basic as service-b, with an empty secret and with the secret the realm file once had', async () => {
    // Act
    const answers = await Promise.all(
      ['', 'dev-only-service-b-secret'].map((clientSecret) => postForm(endpoints.token, { grant_type: 'client_credentials' }, { clientId: 'service-b', clientSecret })),
    );

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_client');
      expect(answer.body.access_token).toBeUndefined();
    }
  });
});

describe("what B's functions send to Keycloak (a recording proxy on the back-channel URL)", () => {
  let answer: Awaited<ReturnType<typeof callWithGuard>>;
  let recorded: Summary[];

  beforeAll(async () => {
    await sleep(CACHES_EXPIRE_MS);
    recorder.clearRecording();
    // A → B → C with a new token of A: authorizer-b introspects it, B exchanges it for one meant for C.
    answer = await callWithGuard(instance.apiUrl, 'GET', '/run-service-b');
    recorded = recorder.requests().flatMap((request) => summarise(request) ?? []);
  }, 60_000);

  it('the chain still answers 200 through the proxy', () => {
    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
  });

  it("carries a client assertion on B's token exchange and its authorizer's introspection: no Basic header, no client_secret", () => {
    const ofB = recorded.filter((request) => request.client === 'service-b');
    const introspections = ofB.filter((request) => request.endpoint === 'introspect');
    const exchanges = ofB.filter((request) => request.endpoint === 'token' && request.grantType === TOKEN_EXCHANGE);

    expect(introspections.length, JSON.stringify(recorded)).toBeGreaterThanOrEqual(1);
    expect(exchanges.length, JSON.stringify(recorded)).toBeGreaterThanOrEqual(1);
    for (const request of ofB) {
      expect(request.authorizationScheme).toBeUndefined();
      expect(request.fields).toEqual(expect.arrayContaining(['client_assertion', 'client_assertion_type', 'client_id']));
      expect(request.fields).not.toContain('client_secret');
      expect(request.assertionType).toBe(JWT_BEARER);
      expect(request.assertion).toEqual({ kid: devPublicJwk('service-b').kid, iss: 'service-b', sub: 'service-b', aud: issuer, jti: true, lifetime: 60 });
    }
  });

  it('sends no Basic header with service-b as its user at all, while A and C still send theirs (the recorder sees Basic headers)', () => {
    const basicUsers = new Set(recorded.flatMap((request) => request.basicUser ?? []));

    expect(basicUsers.has('service-b')).toBe(false);
    expect(basicUsers).toEqual(new Set(['service-a', 'service-c']));
  });

  it('uses a new assertion for every request (Keycloak refuses a reused jti)', () => {
    // Compared in memory as whole texts; only the counts reach an assertion message.
    const assertions = recorder
      .requests()
      .map((request) => new URLSearchParams(request.body).get('client_assertion'))
      .filter((jwt): jwt is string => typeof jwt === 'string');

    expect(assertions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(assertions).size).toBe(assertions.length);
  });
});
