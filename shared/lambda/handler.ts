import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { errorCode, logSafeError } from '../errors';
import { errorResponse, header } from './http';
import type { Logger } from './logger';
import type { ServiceMetrics } from './metrics';
import type { Clock } from '../time';

/** Per-request facts a service handler receives from {@link handleRequest}. */
export interface RequestScope {
  /** Correlation id carried A → B → C in `x-correlation-id`. */
  correlationId: string;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The correlation id of a request: the caller's `x-correlation-id` when it is well-formed (so a
 * chain keeps one id), else a new UUID (a malformed one could forge log lines).
 */
export function correlationIdOf(event: Pick<APIGatewayProxyEvent, 'headers'>): string {
  const given = header(event, 'x-correlation-id');
  return given && CORRELATION_ID.test(given) ? given : randomUUID();
}

/** What {@link handleRequest} works with: the container's logger and metrics, this invocation's context. */
export interface HandleRequestOptions {
  logger: Logger;
  /** Refusals and failures by code are recorded here, and it is flushed at the end of the request. */
  metrics?: ServiceMetrics;
  /**
   * The invocation's Lambda context (the handler's second argument): the logger adds `cold_start`,
   * `function_name`, `function_request_id` and the function's ARN and memory to every line.
   */
  context?: Context;
  now?: Clock;
}

/**
 * Runs a service handler's work: sets up the correlation id and the Lambda context in the logger,
 * maps any failure to a response in one place, logs one line per request with route, outcome and
 * latency, counts error responses by code in `metrics` and publishes them (fail open: metrics never
 * break a request).
 */
export async function handleRequest(
  event: APIGatewayProxyEvent,
  { logger, metrics, context, now = Date.now }: HandleRequestOptions,
  work: (scope: RequestScope) => Promise<APIGatewayProxyResult>,
): Promise<APIGatewayProxyResult> {
  const started = now();
  const correlationId = correlationIdOf(event);
  logger.resetKeys();
  if (context) logger.addContext(context);
  logger.appendKeys({ correlation_id: correlationId });
  const responseHeaders = { 'x-correlation-id': correlationId };
  let result: APIGatewayProxyResult;
  let code: string | undefined;
  try {
    result = await work({ correlationId });
    result.headers = { ...result.headers, ...responseHeaders };
  } catch (error) {
    code = errorCode(error);
    result = errorResponse(error, responseHeaders);
    // The detail the response leaves out (see errorResponse) goes to the log.
    if (result.statusCode >= 500) logger.error('request failed', { code, error: logSafeError(error) });
    else if (code === 'TOKEN_EXCHANGE_DENIED') logger.warn('token exchange refused', { code, error: logSafeError(error) });
    metrics?.requestErrored(code, result.statusCode);
  }
  logger.info('request', {
    route: `${event.httpMethod} ${event.resource ?? event.path}`,
    status: result.statusCode,
    outcome: result.statusCode < 400 ? 'success' : 'failure',
    ...(code ? { code } : {}),
    latency_ms: now() - started,
  });
  metrics?.flush();
  return result;
}
