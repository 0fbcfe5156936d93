import {
  ClientAuthenticationError,
  type ClientAuthenticationReason,
  KeycloakProtocolError,
  TokenExchangeDeniedError,
} from '../errors';
import type { KeycloakAnswer } from './transport';

/** The token-exchange grant type (RFC 8693 section 2.1). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token type of an access token, as subject and as requested token (RFC 8693 section 3). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** A successful token-endpoint answer; wire names kept as in RFC 6749 / RFC 8693. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number | undefined;
  scope: string | undefined;
  issued_token_type: string | undefined;
}

/** Keycloak's `error_description` of each refused signed client assertion (26.x, `400 invalid_client`). */
const ASSERTION_REFUSALS: ReadonlyArray<[RegExp, ClientAuthenticationReason]> = [
  [/token reuse detected/i, 'ASSERTION_REUSED'],
  [/token is not active/i, 'ASSERTION_EXPIRED'],
  [/signature on jwt token failed validation/i, 'ASSERTION_SIGNATURE_INVALID'],
  [/unable to load public key/i, 'ASSERTION_KEY_UNKNOWN'],
];

/**
 * The {@link ClientAuthenticationError} of an answer that refuses our own client authentication, or
 * undefined. Keycloak answers `401 invalid_client` (or `unauthorized_client`) for an unknown client or
 * wrong credentials (a secret, or an assertion naming another client), and `400 invalid_client` with a description for a refused signed JWT (reused,
 * expired, bad signature, unknown key) — other `400 invalid_client` answers (a public client asking
 * for an exchange) are not about our credentials and are left to the caller. The description only
 * picks the `reason`; it is never copied into the message.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3.2
 */
export function clientAuthenticationRefusal({ status, body }: KeycloakAnswer, what: string): ClientAuthenticationError | undefined {
  const error = typeof body.error === 'string' ? body.error : undefined;
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  if (status === 401 && (error === 'invalid_client' || error === 'unauthorized_client')) {
    return new ClientAuthenticationError(`Keycloak refused ${what} (${error})`, 'CLIENT_OR_CREDENTIALS_INVALID');
  }
  if (status === 400 && error === 'invalid_client') {
    const reason = ASSERTION_REFUSALS.find(([pattern]) => pattern.test(description))?.[1];
    if (reason) return new ClientAuthenticationError(`Keycloak refused ${what} (${error}: ${reason})`, reason);
  }
  return undefined;
}

/**
 * Judges a token-endpoint answer: the token on 200, a typed error otherwise.
 * `401 invalid_client|unauthorized_client` means our own credentials were refused (Keycloak uses both
 * words); during a token exchange any other 4xx is Keycloak refusing the exchange itself.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function parseTokenResponse({ status, body }: KeycloakAnswer, grant: 'client_credentials' | 'token_exchange'): TokenResponse {
  if (status === 200) {
    const { access_token, token_type, expires_in, scope, issued_token_type } = body;
    if (typeof access_token !== 'string' || access_token.length === 0) {
      throw new KeycloakProtocolError('Token endpoint answered 200 without an access_token');
    }
    if (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer') {
      throw new KeycloakProtocolError('Token endpoint answered a token_type other than Bearer');
    }
    return {
      access_token,
      token_type,
      expires_in: typeof expires_in === 'number' ? expires_in : undefined,
      scope: typeof scope === 'string' ? scope : undefined,
      issued_token_type: typeof issued_token_type === 'string' ? issued_token_type : undefined,
    };
  }
  const error = typeof body.error === 'string' ? body.error : undefined;
  const description = typeof body.error_description === 'string' ? body.error_description : undefined;
  const refused = clientAuthenticationRefusal({ status, body }, 'the client credentials');
  if (refused) throw refused;
  if (grant === 'token_exchange' && error && status >= 400 && status < 500) {
    throw new TokenExchangeDeniedError(error, description);
  }
  throw new KeycloakProtocolError(`Token endpoint answered HTTP ${status}${error ? ` ${error}` : ''}`);
}
