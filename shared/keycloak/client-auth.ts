/**
 * Client authentication as a function that closes over the secret, so the secret never sits in an
 * object that could be logged or serialised (the oauth4webapi pattern).
 */
export interface ClientAuth {
  /** The authenticating client's id. */
  readonly clientId: string;
  /** Adds the client's credentials to an outgoing token-endpoint request. */
  apply(headers: Headers, body: URLSearchParams): void;
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
