// @ts-check
/**
 * How a foreground launcher (`npm start`, `npm test`'s with-stack) ends: whatever ends it — Ctrl-C
 * (SIGINT), a process manager's SIGTERM, a closed terminal's SIGHUP, an uncaught error, or a
 * reader that went away (`npm start | head -1`, `| tee` then Ctrl-C: EPIPE on stdout) — it runs its
 * cleanup exactly once and then exits. Only SIGKILL skips this; the stack's marker names the
 * launcher by pid and start time, so the next command recognises the leftovers and stops them.
 *
 * The stack's services lead process groups of their own (`detached`), so the terminal's signals
 * reach only the launcher and the cleanup stops each group with one negative-pid kill.
 */

/** Set when stdout or stderr has gone away: writing on would only raise more EPIPEs. */
let outputClosed = false;

/**
 * Makes writes to stdout and stderr safe once their reader is gone: Node reports EPIPE as an
 * 'error' event, which, with no listener, is an uncaught exception that would kill the launcher
 * before it stopped the stack. (SIGPIPE itself is ignored by Node.)
 */
export function guardOutput() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      outputClosed = true;
    });
  }
}

/**
 * Writes a line to stdout; never throws, whatever happened to the reader.
 * @param {string} line
 */
export function say(line) {
  if (outputClosed) return;
  try {
    process.stdout.write(`${line}\n`);
  } catch {
    outputClosed = true;
  }
}

/**
 * Writes a line to stderr; never throws.
 * @param {string} line
 */
export function sayError(line) {
  if (outputClosed) return;
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    outputClosed = true;
  }
}

/**
 * Runs `cleanup` once, whichever way the launcher ends, then exits: on a signal with 128 + its
 * number, as shells report it, except SIGINT with `interruptCode` (for `npm start` Ctrl-C is the
 * usual end: 0; for a test run it is an interruption: 130).
 * @param {(reason: string) => Promise<void>} cleanup
 * @param {{ interruptCode?: number }} [options]
 * @returns {(code: number, reason: string) => Promise<never>} ends the launcher the same way from its own code
 */
export function onLauncherEnd(cleanup, { interruptCode = 130 } = {}) {
  const signalExit = { SIGINT: interruptCode, SIGTERM: 143, SIGHUP: 129 };
  /** @type {Promise<never> | undefined} */
  let ending;
  const end = (/** @type {number} */ code, /** @type {string} */ reason) => {
    ending ??= (async () => {
      try {
        await cleanup(reason);
      } catch (error) {
        sayError(`cleanup failed: ${error instanceof Error ? error.message : error}`);
      }
      process.exit(code);
    })();
    return ending;
  };
  for (const [signal, code] of Object.entries(signalExit)) {
    process.on(/** @type {NodeJS.Signals} */ (signal), () => {
      if (ending) sayError(`still stopping the stack (${signal} again)…`);
      void end(code, signal);
    });
  }
  process.on('uncaughtException', (error) => {
    sayError(`unexpected error: ${error instanceof Error ? error.stack ?? error.message : error}`);
    void end(1, 'uncaught error');
  });
  process.on('unhandledRejection', (error) => {
    sayError(`unexpected error: ${error instanceof Error ? error.stack ?? error.message : error}`);
    void end(1, 'unhandled rejection');
  });
  return end;
}
