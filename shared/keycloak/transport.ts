import { KeycloakProtocolError, KeycloakTlsError, KeycloakUnavailableError } from '../errors';
import type { ClientAuth } from './client-auth';

/** What the Keycloak calls need from `fetch`; tests inject a fake. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** The status and parsed JSON body of a Keycloak answer. */
export interface KeycloakAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * POSTs a form to a Keycloak endpoint with client authentication and a timeout, and parses the JSON
 * answer. Network failures, timeouts and 5xx become {@link KeycloakUnavailableError}; any other answer
 * is returned for the caller's `parse…` function to judge.
 */
export async function postForm(
  fetch: FetchLike,
  url: string,
  form: Record<string, string>,
  auth: ClientAuth,
  timeoutMs: number,
): Promise<KeycloakAnswer> {
  const headers = new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' });
  const body = new URLSearchParams(form);
  await auth.apply(headers, body);
  let response: Response;
  try {
    // Never follow a redirect: it would re-send the client's credentials and the token being
    // introspected or exchanged to wherever Keycloak (or whoever answers for it) points.
    response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw unreachable(error, timeoutMs);
  }
  if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
    await response.body?.cancel();
    throw new KeycloakProtocolError(`Keycloak answered a redirect (HTTP ${response.status}); redirects are never followed`);
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new KeycloakUnavailableError(`Keycloak answered HTTP ${response.status}`);
  }
  const text = await boundedText(response);
  let parsed: unknown;
  try {
    // An empty body is an empty answer (a revocation's 200, RFC 7009); the parse… functions judge it.
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new KeycloakProtocolError(`Keycloak answered HTTP ${response.status} with a body that is not JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KeycloakProtocolError(`Keycloak answered HTTP ${response.status} with JSON that is not an object`);
  }
  return { status: response.status, body: parsed as Record<string, unknown> };
}

/**
 * Largest Keycloak answer read, in bytes. Token, introspection and exchange answers are a few KB;
 * anything far larger is not Keycloak speaking the protocol, and is not read into memory.
 */
export const MAX_KEYCLOAK_ANSWER_BYTES = 256 * 1024;

/** The answer's text, refused as {@link KeycloakProtocolError} past {@link MAX_KEYCLOAK_ANSWER_BYTES}. */
async function boundedText(response: Response): Promise<string> {
  const tooLarge = () => new KeycloakProtocolError(`Keycloak answered HTTP ${response.status} with a body over ${MAX_KEYCLOAK_ANSWER_BYTES} bytes`);
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_KEYCLOAK_ANSWER_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_KEYCLOAK_ANSWER_BYTES) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof KeycloakProtocolError) throw error;
    throw new KeycloakUnavailableError('Keycloak closed the connection mid-answer', { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Node's codes for a TLS certificate it refuses (`error.cause.code` of a failed fetch). */
const TLS_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Why a call to Keycloak got no answer, as a typed error: a refused TLS certificate
 * ({@link KeycloakTlsError}, a configuration problem worth its own code), a timeout, or anything else
 * that keeps Keycloak out of reach. Either way the caller fails closed.
 */
export function unreachable(error: unknown, timeoutMs: number): KeycloakUnavailableError | KeycloakTlsError {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  // Set.has is false for anything that is not one of its strings.
  if (TLS_CERTIFICATE_CODES.has(code as string)) {
    return new KeycloakTlsError(`Keycloak's TLS certificate was refused (${code})`, { cause: error });
  }
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return new KeycloakUnavailableError(timedOut ? `Keycloak did not answer within ${timeoutMs} ms` : 'Keycloak could not be reached', { cause: error });
}
