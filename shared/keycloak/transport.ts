import { KeycloakProtocolError, KeycloakUnavailableError } from '../errors';
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
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new KeycloakUnavailableError(
      timedOut ? `Keycloak did not answer within ${timeoutMs} ms` : 'Keycloak could not be reached',
      { cause: error },
    );
  }
  if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
    await response.body?.cancel();
    throw new KeycloakProtocolError(`Keycloak answered a redirect (HTTP ${response.status}); redirects are never followed`);
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new KeycloakUnavailableError(`Keycloak answered HTTP ${response.status}`);
  }
  const text = await response.text().catch((error: unknown) => {
    throw new KeycloakUnavailableError('Keycloak closed the connection mid-answer', { cause: error });
  });
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
