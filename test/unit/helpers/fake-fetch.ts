import type { FetchLike } from 'keycloak-lambda-s2s';

/** One request the code under test sent. */
export interface FetchCall {
  url: string;
  method: string | undefined;
  headers: Headers;
  /** The body as sent on the wire (form or JSON text). */
  body: string;
  signal: AbortSignal | undefined;
  /** The redirect mode asked for (`manual`: a redirect is answered, not followed). */
  redirect: RequestInit['redirect'];
}

/** Decides the answer to one call; may throw or reject to simulate a network failure. */
export type Responder = (call: FetchCall) => Response | Promise<Response>;

/** A fake `fetch` that records every call and answers through `respond`. */
export interface FakeFetch {
  fetch: FetchLike;
  calls: FetchCall[];
  /** The calls whose URL is `url`. */
  callsTo(url: string): FetchCall[];
}

/** Creates a {@link FakeFetch}; nothing ever reaches the network. */
export function createFakeFetch(respond: Responder): FakeFetch {
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (input, init = {}) => {
    const call: FetchCall = {
      url: String(input),
      method: init.method,
      headers: new Headers(init.headers),
      body: init.body === undefined || init.body === null ? '' : String(init.body),
      signal: init.signal ?? undefined,
      redirect: init.redirect,
    };
    calls.push(call);
    return respond(call);
  };
  return { fetch, calls, callsTo: (url) => calls.filter((call) => call.url === url) };
}

/** A JSON answer, as Keycloak or a service would send it. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The form fields of a recorded call. */
export function formOf(call: FetchCall): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(call.body));
}

/** A `fetch` that fails the test if it is ever called. */
export const unusedFetch: FetchLike = async (input) => {
  throw new Error(`unexpected fetch to ${String(input)}`);
};
