import type { Context } from 'aws-lambda';
import type { Logger } from 'keycloak-lambda-s2s/lambda';

/** One line the code under test logged. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
  /** The persistent keys (appendKeys) in force when the line was written. */
  keys: Record<string, unknown>;
}

/** A logger that records instead of writing, plus what it recorded. */
export interface FakeLogger {
  logger: Logger;
  lines: LogLine[];
  /** The Lambda contexts handed to `addContext`, in order. */
  contexts: Context[];
  /** Every line serialised, to assert that nothing secret was logged. */
  text(): string;
}

/** A recording stand-in for the Powertools Logger (the methods the handlers use). */
export function createFakeLogger(): FakeLogger {
  const lines: LogLine[] = [];
  const contexts: Context[] = [];
  let keys: Record<string, unknown> = {};
  const write = (level: LogLine['level']) => (message: string, attributes: Record<string, unknown> = {}) => {
    lines.push({ level, message, attributes, keys: { ...keys } });
  };
  const fake = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    appendKeys(more: Record<string, unknown>) {
      keys = { ...keys, ...more };
    },
    resetKeys() {
      keys = {};
    },
    addContext(context: Context) {
      contexts.push(context);
    },
  };
  return { logger: fake as unknown as Logger, lines, contexts, text: () => JSON.stringify(lines) };
}
