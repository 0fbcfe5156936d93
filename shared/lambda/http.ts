import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  AuthError,
  BadRequestError,
  DownstreamRejectedError,
  PermissionDeniedError,
  TokenExchangeDeniedError,
  TokenRejectedError,
  errorCode,
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
 * The one place where failures become HTTP statuses: caller mistakes are 4xx with a reason,
 * unreachable dependencies 502/503, our own misconfiguration 500. Bodies carry the stable `code` and
 * a message that never includes a token or a secret.
 */
export function errorResponse(error: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const code = errorCode(error);
  const message = error instanceof AuthError ? error.message : 'Internal error';
  return json(statusOf(error), { error: code, message, ...detailsOf(error) }, headers);
}

function statusOf(error: unknown): number {
  if (error instanceof BadRequestError) return 400;
  if (error instanceof TokenRejectedError) return 401;
  if (error instanceof PermissionDeniedError || error instanceof TokenExchangeDeniedError) return 403;
  if (error instanceof DownstreamRejectedError) return error.status === 403 ? 403 : 502;
  switch (errorCode(error)) {
    case 'DOWNSTREAM_UNAVAILABLE':
      return 502;
    case 'KEYCLOAK_UNAVAILABLE':
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
