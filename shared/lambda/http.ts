import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  AuthError,
  BadRequestError,
  CallerNotAllowedError,
  DownstreamRejectedError,
  PermissionDeniedError,
  TokenExchangeDeniedError,
  TokenRejectedError,
  errorCode,
  type ErrorCode,
} from '../errors';

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * What a caller reads in a 5xx body, by code: what failed on our side, never how. The detail (a
 * secret's name, Keycloak's answer, a cause) is the log's — `handleRequest` logs it with
 * `logSafeError` — not the caller's.
 */
const SERVER_SIDE_MESSAGES: Partial<Record<ErrorCode | 'INTERNAL', string>> = {
  CONFIG_INVALID: 'The service is misconfigured',
  SECRET_NOT_FOUND: 'The service cannot read its credentials',
  SECRET_INVALID: 'The service cannot read its credentials',
  SECRETS_UNAVAILABLE: 'The service cannot reach its credentials store',
  KEYCLOAK_UNAVAILABLE: 'The identity provider is unavailable',
  KEYCLOAK_TLS_FAILED: 'The identity provider is unavailable',
  KEYCLOAK_BAD_RESPONSE: 'The identity provider gave an answer the service cannot use',
  CLIENT_AUTHENTICATION_FAILED: 'The identity provider refused the service\'s own credentials',
  TOKEN_EXCHANGE_INVALID_RESULT: 'The identity provider issued a token the service cannot use',
  DOWNSTREAM_UNAVAILABLE: 'A downstream service is unavailable',
  DOWNSTREAM_REJECTED: 'A downstream service refused the request',
  INTERNAL: 'Internal error',
};

/**
 * The one place where failures become HTTP statuses: caller mistakes are 4xx with a reason,
 * unreachable dependencies 502/503, our own misconfiguration 500. Bodies carry the stable `code` and
 * a message that never includes a token, a secret or a secret's name: a 5xx says only which kind of
 * dependency failed; a refused token exchange says only Keycloak's OAuth error code.
 */
export function errorResponse(error: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const code = errorCode(error);
  const status = statusOf(error);
  return json(status, { error: code, message: messageOf(error, code, status), ...detailsOf(error) }, headers);
}

function messageOf(error: unknown, code: ErrorCode | 'INTERNAL', status: number): string {
  if (status >= 500) return SERVER_SIDE_MESSAGES[code] ?? 'Internal error';
  // Keycloak's error_description names clients, audiences and scopes: the log has it, the caller does not.
  if (error instanceof TokenExchangeDeniedError) return 'The identity provider refused to exchange the token for the next service';
  if (error instanceof DownstreamRejectedError) return `${error.service} refused the request`;
  return error instanceof AuthError ? error.message : 'Internal error';
}

function statusOf(error: unknown): number {
  if (error instanceof BadRequestError) return 400;
  if (error instanceof TokenRejectedError) return 401;
  if (error instanceof PermissionDeniedError || error instanceof CallerNotAllowedError || error instanceof TokenExchangeDeniedError) return 403;
  if (error instanceof DownstreamRejectedError) return error.status === 403 ? 403 : 502;
  switch (errorCode(error)) {
    case 'DOWNSTREAM_UNAVAILABLE':
      return 502;
    case 'KEYCLOAK_UNAVAILABLE':
    case 'KEYCLOAK_TLS_FAILED':
    case 'KEYCLOAK_BAD_RESPONSE':
    case 'SECRETS_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

function detailsOf(error: unknown): Record<string, unknown> {
  if (error instanceof BadRequestError) return { field: error.field };
  if (error instanceof TokenExchangeDeniedError) return { keycloak_error: error.error };
  if (error instanceof DownstreamRejectedError) return { service: error.service, status: error.status };
  return {};
}

/** A request header by case-insensitive name (API Gateway keeps the caller's casing). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The request body parsed as a JSON object, or a {@link BadRequestError} saying why not. */
export function jsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Record<string, unknown> {
  if (event.body === null || event.body === undefined || event.body === '') throw new BadRequestError('body', 'Request body is required');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new BadRequestError('body', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('body', 'Request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('body', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
