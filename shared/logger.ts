import { Logger } from '@aws-lambda-powertools/logger';

/**
 * A structured JSON logger for one service (Powertools Logger; its level comes from
 * `POWERTOOLS_LOG_LEVEL` or `LOG_LEVEL`, default INFO). Log only identifiers, codes and timings:
 * never tokens, Authorization headers, secrets or whole events.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export type { Logger };
