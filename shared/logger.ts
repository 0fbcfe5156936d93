import { Logger } from '@aws-lambda-powertools/logger';

/**
 * A structured JSON logger for one service (Powertools Logger). Log only identifiers, codes and
 * timings: never tokens, Authorization headers, secrets or whole events.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' });
}

export type { Logger };
