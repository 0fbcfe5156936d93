/** Fakes a team writes for its unit tests: Keycloak and inventory behind `fetch`, Secrets Manager behind `send`. */
import { SecretsManagerClient, type GetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';

export const KEYCLOAK_URL = 'https://sso.example.test';
export const ISSUER = `${KEYCLOAK_URL}/realms/platform`;
export const TOKEN_ENDPOINT = `${ISSUER}/protocol/openid-connect/token`;
export const NOW_SECONDS = 1_900_000_000;

/** The environment serverless.yml would give a function of `service`. */
export function envOf(service: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SERVICE_NAME: service,
    CLIENT_SECRET_ID: `platform/${service}`,
    KEYCLOAK_URL,
    KEYCLOAK_REALM: 'platform',
    ...extra,
  };
}

/**
 * A real SDK v3 client whose first middleware answers every GetSecretValue itself (the SDK's own
 * way to stub a call): one client secret per service, no network.
 */
export function fakeSecrets(): SecretsManagerClient {
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client.middlewareStack.add(
    () => async (args) => {
      const service = String((args.input as GetSecretValueCommandInput).SecretId).split('/')[1];
      return { response: {}, output: { $metadata: {}, SecretString: JSON.stringify({ client_id: service, client_secret: `secret-of-${service}` }) } };
    },
    { step: 'initialize', name: 'fakeSecretsManager' },
  );
  return client;
}

/** An unsigned JWT with `claims` (the library decodes exchanged tokens; only authorizers verify). */
export function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${part(claims)}.c2ln`;
}

export interface Call {
  url: string;
  body: unknown;
  form: URLSearchParams | undefined;
  headers: Headers;
}

/** A `fetch` that answers with `respond` and records every call. */
export function fakeFetch(respond: (call: Call) => unknown) {
  const calls: Call[] = [];
  const fetch = async (input: string | URL, init?: RequestInit) => {
    const call: Call = {
      url: String(input),
      body: init?.body,
      form: init?.body instanceof URLSearchParams ? init.body : undefined,
      headers: new Headers(init?.headers),
    };
    calls.push(call);
    const answer = respond(call);
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, calls };
}
