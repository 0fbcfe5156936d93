import { KeyObject, randomUUID, type webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { ConfigError } from '../errors';
import { assertIntegerInRange, assertNonEmptyString } from '../options';
import { epochSeconds, type Clock } from '../time';

/**
 * Client authentication as a function that closes over the secret, so the secret never sits in an
 * object that could be logged or serialised (the oauth4webapi pattern).
 */
export interface ClientAuth {
  /** The authenticating client's id. */
  readonly clientId: string;
  /**
   * Adds the client's credentials to an outgoing token-endpoint request. May be asynchronous (a
   * signed assertion): callers always await it.
   */
  apply(headers: Headers, body: URLSearchParams): void | Promise<void>;
}

/**
 * `client_secret_basic`: HTTP Basic with the form-encoded client id and secret.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function clientSecretBasic(clientId: string, clientSecret: string): ClientAuth {
  const credentials = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
  return {
    clientId,
    apply(headers) {
      headers.set('authorization', `Basic ${credentials}`);
    },
  };
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/**
 * A public client (token endpoint auth method `none`): only its `client_id`, in the form body. For
 * clients that cannot keep a secret (a CLI, a browser app); a service always authenticates.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.1
 */
export function publicClient(clientId: string): ClientAuth {
  return {
    clientId,
    apply(_headers, body) {
      body.set('client_id', clientId);
    },
  };
}

/** The client assertion type of RFC 7523 section 2.2. */
export const JWT_BEARER_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The signing algorithms {@link privateKeyJwt} accepts: asymmetric, and accepted by Keycloak's `client-jwt` authenticator. */
export const CLIENT_ASSERTION_ALGORITHMS = ['ES256', 'RS256'] as const;

/** One of {@link CLIENT_ASSERTION_ALGORITHMS}. */
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

/** Options of {@link privateKeyJwt}. */
export interface PrivateKeyJwtOptions {
  /** The key id Keycloak knows the public half by (the `kid` of the client's JWKS entry). */
  kid: string;
  /** `ES256` (P-256 key) or `RS256` (RSA key of at least 2048 bits). */
  alg: ClientAssertionAlgorithm;
  /**
   * The assertion's `aud`: the realm's issuer, `<baseUrl>/realms/<realm>` (`KeycloakClient.issuer`),
   * the one value Keycloak accepts at every endpoint (token and introspection alike).
   */
  audience: string;
  /** Lifetime of each assertion in seconds, 1 to 60 (default 60). */
  lifetimeSeconds?: number;
  /** The clock (ms since the epoch); tests freeze it. */
  now?: Clock;
}

/**
 * `private_key_jwt`: each request carries a new assertion (`client_assertion`) signed with the
 * client's private key — `iss` = `sub` = the client id, `aud` = the realm issuer, a unique `jti`,
 * `iat`, and `exp` at most 60 s later. Keycloak holds only the public key; nothing reusable crosses
 * the wire, and a replayed assertion is refused (Keycloak remembers each `jti` until it expires).
 * The key stays inside this closure. Invalid options fail here with one sentence naming the field.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @see https://www.keycloak.org/docs/latest/server_admin/#_client-credentials
 */
export function privateKeyJwt(clientId: string, key: KeyObject | webcrypto.CryptoKey, options: PrivateKeyJwtOptions): ClientAuth {
  const { kid, alg, audience, lifetimeSeconds = 60, now = Date.now } = options;
  assertNonEmptyString('clientId', clientId);
  assertNonEmptyString('kid', kid);
  assertNonEmptyString('audience', audience);
  assertIntegerInRange('lifetimeSeconds', lifetimeSeconds, 1, 60);
  if (!CLIENT_ASSERTION_ALGORITHMS.includes(alg)) {
    throw new ConfigError(`alg must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`);
  }
  assertSigningKey(key, alg);
  return {
    clientId,
    async apply(_headers, body) {
      const iat = epochSeconds(now);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(iat + lifetimeSeconds)
        .sign(key);
      body.set('client_id', clientId);
      body.set('client_assertion_type', JWT_BEARER_CLIENT_ASSERTION_TYPE);
      body.set('client_assertion', assertion);
    },
  };
}

/** Fails unless `key` is a private key of the type and size `alg` needs. Never describes the key's value. */
function assertSigningKey(key: unknown, alg: ClientAssertionAlgorithm): void {
  const keyObject = toKeyObject(key);
  if (keyObject?.type !== 'private') throw new ConfigError('key must be a private key');
  const details = keyObject.asymmetricKeyDetails ?? {};
  if (alg === 'ES256') {
    if (keyObject.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
      throw new ConfigError('key must be an EC P-256 private key for ES256');
    }
  } else if (keyObject.asymmetricKeyType !== 'rsa' || (details.modulusLength ?? 0) < 2048) {
    throw new ConfigError('key must be an RSA private key of at least 2048 bits for RS256');
  }
}

function toKeyObject(key: unknown): KeyObject | undefined {
  if (key instanceof KeyObject) return key;
  try {
    return KeyObject.from(key as webcrypto.CryptoKey);
  } catch {
    return undefined;
  }
}
