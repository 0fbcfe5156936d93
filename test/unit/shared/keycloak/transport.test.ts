import { describe, expect, it } from 'vitest';
import { KeycloakProtocolError, KeycloakTlsError, KeycloakUnavailableError, MAX_KEYCLOAK_ANSWER_BYTES, clientSecretBasic, logSafeError, postForm } from 'keycloak-lambda-s2s';
import { createFakeFetch, formOf, jsonResponse, type FetchCall, type Responder } from '../../helpers/fake-fetch';
import { TOKEN_ENDPOINT } from '../../helpers/keycloak';

const AUTH = clientSecretBasic('service-b', 'secret-b');

function send(respond: Responder, timeoutMs = 3000) {
  const fake = createFakeFetch(respond);
  const answer = postForm(fake.fetch, TOKEN_ENDPOINT, { grant_type: 'client_credentials' }, AUTH, timeoutMs);
  return { fake, answer };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('postForm', () => {
  // Every code Node uses for a certificate it refuses, written out (a list fed from the constant it checks could not notice it change).
  it.each([
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
  ])(
    'fails closed with KEYCLOAK_TLS_FAILED when Node refuses the TLS certificate (%s)',
    async (code) => {
      // Prepare: what Node's fetch throws for a certificate it does not trust
      const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('certificate refused'), { code }) });
      const { answer } = send(() => Promise.reject(refused));

      // Act
      const error = await rejectionOf(answer);

      // Assess
      expect(error).toBeInstanceOf(KeycloakTlsError);
      expect(error).toMatchObject({ code: 'KEYCLOAK_TLS_FAILED', message: `Keycloak's TLS certificate was refused (${code})` });
      expect(logSafeError(error).cause).toEqual({ name: 'TypeError', message: 'fetch failed' });
    },
  );

  it('refuses an answer larger than MAX_KEYCLOAK_ANSWER_BYTES as a protocol error, without reading it whole', async () => {
    // Prepare: a 200 that streams far more than any Keycloak answer, with no content-length
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        if (pulled > 1000) controller.close();
      },
    });
    const { answer } = send(() => new Response(endless, { status: 200 }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect(error).toMatchObject({ code: 'KEYCLOAK_BAD_RESPONSE', message: `Keycloak answered HTTP 200 with a body over ${MAX_KEYCLOAK_ANSWER_BYTES} bytes` });
    expect(pulled).toBeLessThan(10);
  });

  it('refuses an answer whose declared length is over the bound before reading it', async () => {
    // Prepare
    const { answer } = send(() => new Response('{}', { status: 200, headers: { 'content-length': String(MAX_KEYCLOAK_ANSWER_BYTES + 1) } }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toMatchObject({ code: 'KEYCLOAK_BAD_RESPONSE' });
  });

  it('keeps any other network failure as KEYCLOAK_UNAVAILABLE', async () => {
    // Prepare
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const { answer } = send(() => Promise.reject(refused));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toMatchObject({ code: 'KEYCLOAK_UNAVAILABLE', message: 'Keycloak could not be reached' });
  });

  it('waits for an asynchronous client authentication (a signed assertion) before sending', async () => {
    // Prepare
    const fake = createFakeFetch(() => jsonResponse({ access_token: 'x' }));
    const asyncAuth = {
      clientId: 'service-b',
      async apply(_headers: Headers, body: URLSearchParams) {
        await Promise.resolve();
        body.set('client_assertion', 'signed');
      },
    };

    // Act
    await postForm(fake.fetch, TOKEN_ENDPOINT, { grant_type: 'client_credentials' }, asyncAuth, 3000);

    // Assess
    expect(formOf(fake.calls[0] as FetchCall).client_assertion).toBe('signed');
  });

  it('never follows a redirect: it asks fetch for manual redirects', async () => {
    // Prepare
    const { fake, answer } = send(() => jsonResponse({ access_token: 'x' }));

    // Act
    await answer;

    // Assess
    expect(fake.calls[0]?.redirect).toBe('manual');
  });

  it.each([300, 301, 302, 303, 307, 308])('refuses a %i redirect as a protocol error', async (status) => {
    // Prepare
    const { answer } = send(() => new Response('{"active":true}', { status, headers: { location: 'https://evil.example/introspect' } }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect((error as KeycloakProtocolError).message).toBe(`Keycloak answered a redirect (HTTP ${status}); redirects are never followed`);
  });

  it('refuses an opaque redirect (what a standard fetch answers to a redirect in manual mode) as a protocol error', async () => {
    // Prepare: Node's fetch hands over the 3xx itself; a fetch that follows the WHATWG standard hides it
    const opaque = () => {
      const response = new Response(null, { status: 200 });
      Object.defineProperty(response, 'type', { value: 'opaqueredirect' });
      Object.defineProperty(response, 'status', { value: 0 });
      return response;
    };
    const { answer } = send(opaque);

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect((error as KeycloakProtocolError).message).toBe('Keycloak answered a redirect (HTTP 0); redirects are never followed');
  });

  it.each([
    ['a redirect', 302],
    ['a 5xx answer', 503],
  ])('cancels the body of %s instead of leaving it unread, which would hold the connection', async (_case, status) => {
    // Prepare
    let cancelled = false;
    const body = new ReadableStream({
      pull: (controller) => controller.enqueue(new TextEncoder().encode('{}')),
      cancel: () => {
        cancelled = true;
      },
    });
    const { answer } = send(() => new Response(body, { status, headers: { location: 'https://evil.example/' } }));

    // Act
    await answer.catch(() => undefined);

    // Assess
    expect(cancelled).toBe(true);
  });

  it('POSTs the form, url-encoded, with client authentication, accept JSON and a timeout signal', async () => {
    // Prepare
    const { fake, answer } = send(() => jsonResponse({ access_token: 'x' }));

    // Act
    await answer;

    // Assess
    const [call] = fake.calls;
    expect(call?.url).toBe(TOKEN_ENDPOINT);
    expect(call?.method).toBe('POST');
    expect(call?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(call?.headers.get('accept')).toBe('application/json');
    expect(call?.headers.get('authorization')).toBe(`Basic ${Buffer.from('service-b:secret-b').toString('base64')}`);
    expect(call && formOf(call)).toEqual({ grant_type: 'client_credentials' });
    expect(call?.signal).toBeInstanceOf(AbortSignal);
  });

  it('returns the status and JSON object of a 2xx answer', async () => {
    // Prepare
    const { answer } = send(() => jsonResponse({ active: true }, 200));

    // Act
    const result = await answer;

    // Assess
    expect(result).toEqual({ status: 200, body: { active: true } });
  });

  it.each([
    ['no body', () => new Response(null, { status: 200 })],
    ['an empty body', () => new Response('', { status: 200 })],
    ['a body of blanks', () => new Response(' \n', { status: 200 })],
  ])('reads an answer with %s as an empty object (a revocation answers so)', async (_case, respond) => {
    // Act
    const result = await send(respond).answer;

    // Assess
    expect(result).toEqual({ status: 200, body: {} });
  });

  it('returns a 4xx answer for the parse function to judge', async () => {
    // Prepare
    const { answer } = send(() => jsonResponse({ error: 'invalid_client' }, 401));

    // Act
    const result = await answer;

    // Assess
    expect(result).toEqual({ status: 401, body: { error: 'invalid_client' } });
  });

  it('turns a network failure into KeycloakUnavailableError with the cause', async () => {
    // Prepare
    const cause = new TypeError('fetch failed');
    const { answer } = send(() => {
      throw cause;
    });

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakUnavailableError);
    expect(error).toMatchObject({ code: 'KEYCLOAK_UNAVAILABLE', message: 'Keycloak could not be reached', cause });
  });

  it.each(['TimeoutError', 'AbortError'])('turns a %s into KeycloakUnavailableError that names the timeout', async (name) => {
    // Prepare
    const { answer } = send(() => {
      throw new DOMException('The operation timed out.', name);
    }, 750);

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakUnavailableError);
    expect(error).toMatchObject({ message: 'Keycloak did not answer within 750 ms' });
  });

  it.each([500, 502, 503, 504])('turns HTTP %i into KeycloakUnavailableError', async (status) => {
    // Prepare
    const { answer } = send(() => new Response('<html>Service Unavailable</html>', { status }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakUnavailableError);
    expect(error).toMatchObject({ message: `Keycloak answered HTTP ${status}` });
  });

  it('turns a 5xx without a body into KeycloakUnavailableError', async () => {
    // Act
    const error = await rejectionOf(send(() => new Response(null, { status: 503 })).answer);

    // Assess
    expect(error).toMatchObject({ code: 'KEYCLOAK_UNAVAILABLE', message: 'Keycloak answered HTTP 503' });
  });

  it('refuses a declared length over the bound even when the answer has no body', async () => {
    // Prepare
    const tooLong = () => new Response(null, { status: 200, headers: { 'content-length': String(MAX_KEYCLOAK_ANSWER_BYTES + 1) } });

    // Act
    const error = await rejectionOf(send(tooLong).answer);

    // Assess
    expect(error).toMatchObject({ code: 'KEYCLOAK_BAD_RESPONSE' });
  });

  it('reads an answer of exactly MAX_KEYCLOAK_ANSWER_BYTES', async () => {
    // Prepare: a JSON object padded to the bound, declared and streamed
    const text = `{"pad":"${'x'.repeat(MAX_KEYCLOAK_ANSWER_BYTES - 10)}"}`;
    const exact = () => new Response(text, { status: 200, headers: { 'content-length': String(text.length) } });

    // Act
    const result = await send(exact).answer;

    // Assess
    expect(text.length).toBe(MAX_KEYCLOAK_ANSWER_BYTES);
    expect(result.status).toBe(200);
  });

  it('fails closed as unavailable whatever fetch rejects with, even nothing', async () => {
    // Act
    const error = await rejectionOf(send(() => Promise.reject(undefined)).answer);

    // Assess
    expect(error).toMatchObject({ code: 'KEYCLOAK_UNAVAILABLE', message: 'Keycloak could not be reached' });
  });

  it('turns a body that is not JSON into KeycloakProtocolError', async () => {
    // Prepare
    const { answer } = send(() => new Response('<html>login</html>', { status: 200 }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect(error).toMatchObject({ code: 'KEYCLOAK_BAD_RESPONSE', message: 'Keycloak answered HTTP 200 with a body that is not JSON' });
    expect(logSafeError(error).cause).toMatchObject({ name: 'SyntaxError' });
  });

  it.each([['an array', '[1]'], ['a string', '"ok"'], ['null', 'null']])('turns JSON that is %s into KeycloakProtocolError', async (_case, text) => {
    // Prepare
    const { answer } = send(() => new Response(text, { status: 400 }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakProtocolError);
    expect(error).toMatchObject({ message: 'Keycloak answered HTTP 400 with JSON that is not an object' });
  });

  it('turns a connection closed mid-answer into KeycloakUnavailableError', async () => {
    // Prepare
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"acc'));
        controller.error(new Error('socket hang up'));
      },
    });
    const { answer } = send(() => new Response(broken, { status: 200 }));

    // Act
    const error = await rejectionOf(answer);

    // Assess
    expect(error).toBeInstanceOf(KeycloakUnavailableError);
    expect(error).toMatchObject({ message: 'Keycloak closed the connection mid-answer' });
    expect(logSafeError(error).cause).toBeDefined();
  });
});
