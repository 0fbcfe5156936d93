import { DownstreamRejectedError, DownstreamUnavailableError } from '../errors';
import type { FetchLike } from '../keycloak/transport';

/** Options of {@link createServiceCaller}. */
export interface ServiceCallerOptions {
  /** Name of the called service, for errors and logs. */
  service: string;
  /** Base URL of the called service's API stage. */
  baseUrl: string;
  timeoutMs: number;
  fetch?: FetchLike;
}

/** The answer of a downstream service. */
export interface ServiceAnswer {
  status: number;
  body: unknown;
}

/** Calls one downstream service with a bearer token, a correlation id and a timeout. */
export interface ServiceCaller {
  post(path: string, token: string, body: unknown, correlationId: string): Promise<ServiceAnswer>;
}

/**
 * Creates a caller of one downstream service. Unreachable or timed-out calls throw
 * {@link DownstreamUnavailableError}; answers of any status are returned for the caller to judge
 * (a 401 means: drop the cached token and try once more).
 */
export function createServiceCaller({ service, baseUrl, timeoutMs, fetch = globalThis.fetch }: ServiceCallerOptions): ServiceCaller {
  return {
    async post(path, token, body, correlationId) {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'x-correlation-id': correlationId,
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        throw new DownstreamUnavailableError(
          service,
          timedOut ? `${service} did not answer within ${timeoutMs} ms` : `${service} could not be reached`,
          { cause: error },
        );
      }
      const text = await response.text().catch(() => '');
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: keep the text so the error can say so.
      }
      return { status: response.status, body: parsed };
    },
  };
}

/** A cached bearer token for one downstream service, and a way to drop it when the service refuses it. */
export interface TokenSource {
  get(): Promise<string>;
  invalidate(): void;
}

/**
 * POSTs with a cached token; when the service answers 401 (the token was revoked, or Keycloak
 * restarted with new keys) the token is dropped and the call made once more with a fresh one.
 * Returns the 2xx body, or throws {@link DownstreamRejectedError}.
 */
export async function postWithFreshTokenOn401(
  caller: ServiceCaller,
  service: string,
  request: { path: string; body: unknown; correlationId: string },
  token: TokenSource,
): Promise<unknown> {
  const send = async () => caller.post(request.path, await token.get(), request.body, request.correlationId);
  let answer = await send();
  if (answer.status === 401) {
    token.invalidate();
    answer = await send();
  }
  return expectSuccess(service, answer);
}

/** The body of a 2xx answer, or a {@link DownstreamRejectedError} that names the service and status. */
export function expectSuccess(service: string, answer: ServiceAnswer): unknown {
  if (answer.status >= 200 && answer.status < 300) return answer.body;
  const code = (answer.body as { error?: unknown } | undefined)?.error;
  throw new DownstreamRejectedError(
    service,
    answer.status,
    `${service} answered HTTP ${answer.status}${typeof code === 'string' ? ` (${code})` : ''}`,
  );
}
