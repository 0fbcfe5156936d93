import { describe, expect, it } from 'vitest';
import { DownstreamRejectedError, DownstreamUnavailableError } from 'keycloak-lambda-s2s';
import { createServiceCaller, expectSuccess, postWithFreshTokenOn401, type ServiceAnswer } from 'keycloak-lambda-s2s/lambda';
import { createFakeFetch, jsonResponse } from '../../helpers/fake-fetch';

const BASE_URL = 'http://api.test/dev';

async function unavailableOf(promise: Promise<unknown>): Promise<DownstreamUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof DownstreamUnavailableError) return error;
  throw new Error(`expected DownstreamUnavailableError, got ${String(error)}`);
}

describe('createServiceCaller', () => {
  it('POSTs the JSON body to the base URL plus path with the bearer token and correlation id', async () => {
    // Prepare
    const fake = createFakeFetch(() => jsonResponse({ result: 20 }));
    const caller = createServiceCaller({ service: 'service-c', baseUrl: BASE_URL, timeoutMs: 5000, fetch: fake.fetch });

    // Act
    await caller.post('/api/compute', 'the-token', { value: 10 }, 'corr-1');

    // Assess
    expect(fake.calls).toHaveLength(1);
    const [call] = fake.calls;
    expect(call?.url).toBe('http://api.test/dev/api/compute');
    expect(call?.method).toBe('POST');
    expect(Object.fromEntries(call?.headers ?? [])).toEqual({
      authorization: 'Bearer the-token',
      'content-type': 'application/json',
      accept: 'application/json',
      'x-correlation-id': 'corr-1',
    });
    expect(call?.body).toBe('{"value":10}');
    expect(call?.signal).toBeInstanceOf(AbortSignal);
  });

  it('returns the status and parsed JSON body of a success', async () => {
    // Prepare
    const caller = createServiceCaller({
      service: 'service-c',
      baseUrl: BASE_URL,
      timeoutMs: 5000,
      fetch: createFakeFetch(() => jsonResponse({ result: 20 }, 200)).fetch,
    });

    // Act
    const answer = await caller.post('/api/compute', 't', {}, 'c');

    // Assess
    expect(answer).toEqual({ status: 200, body: { result: 20 } });
  });

  it('returns an error status as an answer rather than throwing', async () => {
    // Prepare
    const caller = createServiceCaller({
      service: 'service-c',
      baseUrl: BASE_URL,
      timeoutMs: 5000,
      fetch: createFakeFetch(() => jsonResponse({ message: 'Unauthorized' }, 401)).fetch,
    });

    // Act
    const answer = await caller.post('/api/compute', 't', {}, 'c');

    // Assess
    expect(answer).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('keeps a body that is not JSON as text', async () => {
    // Prepare
    const caller = createServiceCaller({
      service: 'service-c',
      baseUrl: BASE_URL,
      timeoutMs: 5000,
      fetch: createFakeFetch(() => new Response('Bad Gateway', { status: 502 })).fetch,
    });

    // Act
    const answer = await caller.post('/api/compute', 't', {}, 'c');

    // Assess
    expect(answer).toEqual({ status: 502, body: 'Bad Gateway' });
  });

  it('returns an undefined body when the answer breaks off while it is read', async () => {
    // Prepare
    const broken = new ReadableStream({
      pull: (controller) => controller.error(new TypeError('terminated')),
    });
    const caller = createServiceCaller({
      service: 'service-c',
      baseUrl: BASE_URL,
      timeoutMs: 5000,
      fetch: createFakeFetch(() => new Response(broken, { status: 502 })).fetch,
    });

    // Act
    const answer = await caller.post('/api/compute', 't', {}, 'c');

    // Assess
    expect(answer).toEqual({ status: 502, body: undefined });
  });

  it('returns an undefined body for an empty answer', async () => {
    // Prepare
    const caller = createServiceCaller({
      service: 'service-c',
      baseUrl: BASE_URL,
      timeoutMs: 5000,
      fetch: createFakeFetch(() => new Response(null, { status: 204 })).fetch,
    });

    // Act
    const answer = await caller.post('/api/compute', 't', {}, 'c');

    // Assess
    expect(answer).toEqual({ status: 204, body: undefined });
  });

  it('throws DownstreamUnavailableError naming the service when it cannot be reached', async () => {
    // Prepare
    const cause = new TypeError('fetch failed');
    const caller = createServiceCaller({
      service: 'service-c',
      baseUrl: BASE_URL,
      timeoutMs: 5000,
      fetch: createFakeFetch(() => {
        throw cause;
      }).fetch,
    });

    // Act
    const error = await unavailableOf(caller.post('/api/compute', 't', {}, 'c'));

    // Assess
    expect(error.code).toBe('DOWNSTREAM_UNAVAILABLE');
    expect(error.service).toBe('service-c');
    expect(error.message).toBe('service-c could not be reached');
    expect(error.cause).toBe(cause);
  });

  it.each(['TimeoutError', 'AbortError'])('says the service did not answer in time when fetch fails with %s', async (name) => {
    // Prepare
    const caller = createServiceCaller({
      service: 'service-b',
      baseUrl: BASE_URL,
      timeoutMs: 1234,
      fetch: createFakeFetch(() => {
        throw new DOMException('The operation was aborted', name);
      }).fetch,
    });

    // Act
    const error = await unavailableOf(caller.post('/api/process', 't', {}, 'c'));

    // Assess
    expect(error.message).toBe('service-b did not answer within 1234 ms');
  });
});

describe('expectSuccess', () => {
  it.each([200, 201, 299])('returns the body of a %i answer', (status) => {
    // Act
    const body = expectSuccess('service-c', { status, body: { result: 20 } });

    // Assess
    expect(body).toEqual({ result: 20 });
  });

  it("throws DownstreamRejectedError naming the service, status and the answer's error code", () => {
    // Act
    const act = () => expectSuccess('service-c', { status: 403, body: { error: 'PERMISSION_DENIED' } });

    // Assess
    expect(act).toThrow(DownstreamRejectedError);
    expect(act).toThrow('service-c answered HTTP 403 (PERMISSION_DENIED)');
    try {
      act();
    } catch (error) {
      expect(error).toMatchObject({ service: 'service-c', status: 403, code: 'DOWNSTREAM_REJECTED' });
    }
  });

  it('leaves the code out when the answer carries none', () => {
    // Act
    const act = () => expectSuccess('service-c', { status: 500, body: 'Internal Server Error' });

    // Assess
    expect(act).toThrow(/^service-c answered HTTP 500$/);
  });

  it.each([300, 302])('treats a %i answer as a rejection', (status) => {
    // Act
    const act = () => expectSuccess('service-c', { status, body: undefined });

    // Assess
    expect(act).toThrow(new RegExp(`^service-c answered HTTP ${status}$`));
  });
});

describe('postWithFreshTokenOn401', () => {
  /** A caller answering the given statuses in turn, recording the tokens it was sent. */
  function scriptedCaller(statuses: number[]) {
    const tokens: string[] = [];
    return {
      tokens,
      caller: {
        async post(_path: string, token: string): Promise<ServiceAnswer> {
          tokens.push(token);
          const status = statuses.shift() ?? 500;
          return { status, body: status === 200 ? { ok: true } : { error: 'TOKEN_INACTIVE' } };
        },
      },
    };
  }

  /** A token source handing out token-1, token-2… and counting invalidations. */
  function countingSource() {
    let issued = 0;
    let current: string | undefined;
    const source = {
      invalidations: 0,
      get: async () => (current ??= `token-${++issued}`),
      invalidate: () => {
        source.invalidations += 1;
        current = undefined;
      },
    };
    return source;
  }

  const request = { path: '/api/compute', body: { value: 10 }, correlationId: 'c-1' };

  it('returns the body of a first 2xx answer without touching the token', async () => {
    const { caller, tokens } = scriptedCaller([200]);
    const source = countingSource();

    const body = await postWithFreshTokenOn401(caller, 'service-c', request, source);

    expect(body).toEqual({ ok: true });
    expect(tokens).toEqual(['token-1']);
    expect(source.invalidations).toBe(0);
  });

  it('drops the refused token after a 401 and succeeds with a fresh one', async () => {
    const { caller, tokens } = scriptedCaller([401, 200]);
    const source = countingSource();

    const body = await postWithFreshTokenOn401(caller, 'service-c', request, source);

    expect(body).toEqual({ ok: true });
    expect(tokens).toEqual(['token-1', 'token-2']);
    expect(source.invalidations).toBe(1);
  });

  it('retries only once: a second 401 is reported as DownstreamRejectedError with status 401', async () => {
    const { caller, tokens } = scriptedCaller([401, 401, 200]);

    const error = await postWithFreshTokenOn401(caller, 'service-c', request, countingSource()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DownstreamRejectedError);
    expect((error as DownstreamRejectedError).status).toBe(401);
    expect(tokens).toHaveLength(2);
  });

  it('does not retry other refusals such as 403', async () => {
    const { caller, tokens } = scriptedCaller([403, 200]);

    const error = await postWithFreshTokenOn401(caller, 'service-c', request, countingSource()).catch((e: unknown) => e);

    expect((error as DownstreamRejectedError).status).toBe(403);
    expect(tokens).toEqual(['token-1']);
  });
});
