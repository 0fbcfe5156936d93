/**
 * One error class per failure, each with a stable `code` (for logs, responses and tests) and an
 * optional `cause`. Shared code throws these; handlers and the authorizer map them to responses in
 * one place (`shared/http.ts`, `authorizer/handler.ts`). Messages never contain tokens or secrets.
 */

/** Stable, documented failure codes. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'BAD_REQUEST'
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_INACTIVE'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_WRONG_ISSUER'
  | 'TOKEN_WRONG_AUDIENCE'
  | 'TOKEN_WRONG_TYPE'
  | 'TOKEN_NOT_AUTHORIZED'
  | 'PERMISSION_DENIED'
  | 'CALLER_NOT_ALLOWED'
  | 'KEYCLOAK_UNAVAILABLE'
  | 'KEYCLOAK_TLS_FAILED'
  | 'KEYCLOAK_BAD_RESPONSE'
  | 'CLIENT_AUTHENTICATION_FAILED'
  | 'TOKEN_EXCHANGE_DENIED'
  | 'TOKEN_EXCHANGE_INVALID_RESULT'
  | 'SECRET_NOT_FOUND'
  | 'SECRET_INVALID'
  | 'SECRETS_UNAVAILABLE'
  | 'DOWNSTREAM_UNAVAILABLE'
  | 'DOWNSTREAM_REJECTED';

/** Base class of every error this kit throws on purpose. */
export class AuthError extends Error {
  override readonly name: string = 'AuthError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A required setting is missing or malformed. */
export class ConfigError extends AuthError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** The caller's request is malformed; `field` names the offending input. */
export class BadRequestError extends AuthError {
  override readonly name = 'BadRequestError';
  readonly field: string;
  constructor(field: string, message: string) {
    super('BAD_REQUEST', message);
    this.field = field;
  }
}

/** Codes of a token that is not acceptable to this service. */
export type TokenRejectionCode = Extract<
  ErrorCode,
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_INACTIVE'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_WRONG_ISSUER'
  | 'TOKEN_WRONG_AUDIENCE'
  | 'TOKEN_WRONG_TYPE'
  | 'TOKEN_NOT_AUTHORIZED'
>;

/** The presented token is missing, malformed, inactive, expired or meant for someone else (401). */
export class TokenRejectedError extends AuthError {
  override readonly name = 'TokenRejectedError';
  constructor(code: TokenRejectionCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The token is valid but lacks a permission the route requires (403). */
export class PermissionDeniedError extends AuthError {
  override readonly name = 'PermissionDeniedError';
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

/** The token is valid, but the client that obtained it (`azp`) is not among the route's callers (403). */
export class CallerNotAllowedError extends AuthError {
  override readonly name = 'CallerNotAllowedError';
  constructor(message: string) {
    super('CALLER_NOT_ALLOWED', message);
  }
}

/** Keycloak could not be reached, timed out, or answered with a server error. */
export class KeycloakUnavailableError extends AuthError {
  override readonly name = 'KeycloakUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYCLOAK_UNAVAILABLE', message, options);
  }
}

/**
 * Keycloak's TLS certificate was refused: not issued by a trusted authority (add it with
 * `NODE_EXTRA_CA_CERTS`), expired, or for another host. The call fails closed; nothing was sent.
 */
export class KeycloakTlsError extends AuthError {
  override readonly name = 'KeycloakTlsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYCLOAK_TLS_FAILED', message, options);
  }
}

/** Keycloak answered something this client cannot interpret. */
export class KeycloakProtocolError extends AuthError {
  override readonly name = 'KeycloakProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEYCLOAK_BAD_RESPONSE', message, options);
  }
}

/**
 * Why Keycloak refused a client authentication, as far as its answer tells: a signed assertion that
 * was used before, had expired, carried a bad signature, or named a key Keycloak does not know; an
 * unknown client or wrong credentials; or a refusal it did not explain.
 */
export type ClientAuthenticationReason =
  | 'ASSERTION_REUSED'
  | 'ASSERTION_EXPIRED'
  | 'ASSERTION_SIGNATURE_INVALID'
  | 'ASSERTION_KEY_UNKNOWN'
  | 'CLIENT_OR_CREDENTIALS_INVALID'
  | 'REFUSED';

/**
 * Keycloak refused this service's own client credentials (`invalid_client`), e.g. after a rotation.
 * `reason` tells the kinds of refusal apart for logs and alarms; the `code` stays one for all.
 */
export class ClientAuthenticationError extends AuthError {
  override readonly name = 'ClientAuthenticationError';
  readonly reason: ClientAuthenticationReason;
  constructor(message: string, reason: ClientAuthenticationReason = 'REFUSED') {
    super('CLIENT_AUTHENTICATION_FAILED', message);
    this.reason = reason;
  }
}

/** Keycloak refused a token exchange; `error` is Keycloak's OAuth error code. */
export class TokenExchangeDeniedError extends AuthError {
  override readonly name = 'TokenExchangeDeniedError';
  readonly error: string;
  readonly errorDescription: string | undefined;
  constructor(error: string, errorDescription: string | undefined) {
    super('TOKEN_EXCHANGE_DENIED', `Token exchange refused by Keycloak: ${error}${errorDescription ? ` (${errorDescription})` : ''}`);
    this.error = error;
    this.errorDescription = errorDescription;
  }
}

/** Keycloak issued an exchanged token that is not what was asked for (wrong `aud`, `azp`, `sub` or `iss`). */
export class TokenExchangeResultError extends AuthError {
  override readonly name = 'TokenExchangeResultError';
  constructor(message: string) {
    super('TOKEN_EXCHANGE_INVALID_RESULT', message);
  }
}

/** The configured secret does not exist. */
export class SecretNotFoundError extends AuthError {
  override readonly name = 'SecretNotFoundError';
  constructor(secretId: string, options?: { cause?: unknown }) {
    super('SECRET_NOT_FOUND', `Secret "${secretId}" was not found in Secrets Manager`, options);
  }
}

/** The secret exists but its value is not the expected JSON shape. */
export class SecretInvalidError extends AuthError {
  override readonly name = 'SecretInvalidError';
  constructor(secretId: string, reason: string) {
    super('SECRET_INVALID', `Secret "${secretId}" is invalid: ${reason}`);
  }
}

/** Secrets Manager could not be reached or refused the call. */
export class SecretsUnavailableError extends AuthError {
  override readonly name = 'SecretsUnavailableError';
  constructor(secretId: string, options?: { cause?: unknown }) {
    super('SECRETS_UNAVAILABLE', `Secrets Manager could not return "${secretId}"`, options);
  }
}

/** A downstream service could not be reached or timed out. */
export class DownstreamUnavailableError extends AuthError {
  override readonly name = 'DownstreamUnavailableError';
  readonly service: string;
  constructor(service: string, message: string, options?: { cause?: unknown }) {
    super('DOWNSTREAM_UNAVAILABLE', message, options);
    this.service = service;
  }
}

/** A downstream service answered with an error status. */
export class DownstreamRejectedError extends AuthError {
  override readonly name = 'DownstreamRejectedError';
  readonly service: string;
  readonly status: number;
  constructor(service: string, status: number, message: string) {
    super('DOWNSTREAM_REJECTED', message);
    this.service = service;
    this.status = status;
  }
}

/** The error's stable code, or `INTERNAL` for anything this kit did not throw on purpose. */
export function errorCode(error: unknown): ErrorCode | 'INTERNAL' {
  return error instanceof AuthError ? error.code : 'INTERNAL';
}

/**
 * An error as an object safe to log: name, code and message of it and of its cause, and nothing
 * else — no stack, no request, no value the error may hold. Messages of this kit's errors never
 * carry tokens or secrets; a foreign error's message is kept because it says what failed.
 */
export function logSafeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    code: errorCode(error),
    message: error.message,
    ...(error.cause instanceof Error ? { cause: { name: error.cause.name, message: error.cause.message } } : {}),
  };
}
