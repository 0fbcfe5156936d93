import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { KeycloakTlsError, KeycloakUnavailableError, TokenRejectedError } from '../errors';
import type { Clock } from '../time';
import { audiences, principalFromClaims, type Principal } from '../principal';
import { type FetchLike, unreachable } from './transport';

/** Asymmetric algorithms Keycloak signs access tokens with; `none` and HMAC are never accepted. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Options of {@link createJwtCheck}. */
export interface JwtCheckOptions {
  jwksUri: string;
  issuer: string;
  /** The client id this service accepts in `aud`. */
  audience: string;
  /** Leeway for `exp` / `nbf`, seconds. */
  clockToleranceSeconds?: number;
  /** Least time between two JWKS refetches triggered by an unknown `kid`, ms (the penalty window). */
  jwksCooldownMs?: number;
  /** How long fetched keys are trusted before a background refresh, ms. */
  jwksMaxAgeMs?: number;
  timeoutMs?: number;
  fetch?: FetchLike;
  now?: Clock;
  /** Called on every JWKS round-trip; for call counting. */
  onJwksFetch?: () => void;
}

/** Verifies a token locally: signature against the realm's JWKS, algorithm, issuer, audience, time. */
export interface JwtCheck {
  (token: string): Promise<Principal>;
  /**
   * Fetches the realm's key set now unless one is loaded (one fetch, shared with any check that needs
   * it meanwhile); rejects with `KeycloakUnavailableError` when the fetch fails, and the next check
   * tries again. For a cold start:
   * Lambda evaluates the module before the first request, so keys asked for there are ready sooner.
   */
  prefetchKeys?(): Promise<void>;
  /** Whether a key set has been loaded: false on a cold instance until its first JWKS fetch succeeds. */
  hasKeys?(): boolean;
  /**
   * A look at the token without its signature and without any call: false when the check would
   * refuse it whatever the key set says (not a JWT, an algorithm never accepted, another issuer or
   * audience, not a Bearer token, expired). True says nothing about the signature.
   */
  mayAccept?(token: string): boolean;
}

/**
 * Local JWT verification with jose: signature against the realm's JWKS (signing keys by `kid` and
 * `use: sig`, refetched on an unknown `kid` at most once per cooldown), an allow-list of asymmetric
 * algorithms, `iss`, `aud`, `exp`/`nbf` with a small tolerance, and `typ: Bearer`. Forged, expired
 * or misdirected tokens are refused here without any Keycloak call beyond the cached JWKS.
 * @see https://www.rfc-editor.org/rfc/rfc8725
 */
export function createJwtCheck({
  jwksUri,
  issuer,
  audience,
  clockToleranceSeconds = 5,
  jwksCooldownMs = 30_000,
  jwksMaxAgeMs = 600_000,
  timeoutMs = 3000,
  fetch = globalThis.fetch,
  now = Date.now,
  onJwksFetch = () => {},
}: JwtCheckOptions): JwtCheck {
  const jwks = createRemoteJWKSet(new URL(jwksUri), {
    cooldownDuration: jwksCooldownMs,
    cacheMaxAge: jwksMaxAgeMs,
    timeoutDuration: timeoutMs,
    [customFetch]: (url, init) => {
      onJwksFetch();
      // Never follow a redirect to another key set.
      return fetch(url, { ...init, redirect: 'manual' });
    },
  });

  const check: JwtCheck = async (token) => {
    // Unverified peek: garbage and other issuers' tokens are refused before any key lookup, so a
    // flood of them never triggers a JWKS refetch.
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch (error) {
      throw new TokenRejectedError('TOKEN_MALFORMED', 'Token is not a JWT', { cause: error });
    }
    if (unverified.iss !== issuer) throw new TokenRejectedError('TOKEN_WRONG_ISSUER', 'Token was issued by another issuer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw classify(error);
    }
    if (typeof payload.typ !== 'string' || payload.typ.toLowerCase() !== 'bearer') {
      throw new TokenRejectedError('TOKEN_WRONG_TYPE', 'Token is not a Bearer access token');
    }
    return principalFromClaims(payload, audience);
  };
  check.hasKeys = () => jwks.jwks() !== undefined;
  check.mayAccept = (token) => {
    let alg: unknown;
    let claims: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      claims = decodeJwt(token);
    } catch {
      return false;
    }
    return (
      ALLOWED_ALGORITHMS.includes(String(alg)) &&
      claims.iss === issuer &&
      audiences(claims.aud).includes(audience) &&
      String(claims.typ).toLowerCase() === 'bearer' &&
      Number(claims.exp) + clockToleranceSeconds > now() / 1000
    );
  };
  check.prefetchKeys = async () => {
    if (jwks.jwks() !== undefined) return;
    try {
      await jwks.reload();
    } catch (error) {
      throw classify(error);
    }
  };
  return check;
}

/** jose codes that mean "not a valid token of this realm"; anything else is a JWKS or network failure. */
const TOKEN_FAULTS = new Set([
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** Maps jose's failures: a bad token is a 401, an unreachable JWKS means we cannot decide. */
function classify(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('TOKEN_EXPIRED', 'Token has expired', { cause: error });
  // No `iss` case: the unverified peek has refused every other issuer before jose sees the token.
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new TokenRejectedError('TOKEN_WRONG_AUDIENCE', 'Token is not meant for this service', { cause: error });
    return new TokenRejectedError('TOKEN_MALFORMED', `Token claim "${error.claim}" is invalid`, { cause: error });
  }
  if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) {
    return new TokenRejectedError('TOKEN_MALFORMED', 'Token signature, algorithm or format is invalid', { cause: error });
  }
  // JWKS timeout, non-200, malformed JWKS, network failure: we cannot decide; fail closed.
  const unreached = unreachable(error, 0);
  if (unreached instanceof KeycloakTlsError) return unreached;
  return new KeycloakUnavailableError('Keycloak JWKS could not be fetched', { cause: error });
}
