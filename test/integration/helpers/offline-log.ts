/**
 * The functions' log as serverless offline writes it, for the tests that assert what a request did
 * NOT log: they first wait for the line that request did log (no fixed sleep), so that an absence
 * is never read off a log that was simply not written yet.
 */
import { readFileSync } from 'node:fs';
import { jsonLines } from './side-stack';
import { sleep, stack } from './stack';

/** The main stack's serverless offline log so far (its own lines and the functions' JSON lines). */
export function offlineLog(): string {
  return readFileSync(`${stack.stateDir}/offline.log`, 'utf8');
}

/** Where the main stack's log ends now: pass it as `since` to look only at what comes after. */
export function offlineLogOffset(): number {
  return offlineLog().length;
}

type Line = Record<string, unknown>;

/**
 * Polls a log until `count` of its JSON lines after `since` match `match`, and returns those lines;
 * throws after `timeoutMs` naming `what`. `log` is the main stack's log unless another instance's
 * (`OfflineInstance.log`) is given.
 */
export async function waitForLogLines(
  what: string,
  match: (line: Line) => boolean,
  {
    since = 0,
    count = 1,
    timeoutMs = 15_000,
    log = offlineLog,
  }: { since?: number; count?: number; timeoutMs?: number; log?: () => string } = {},
): Promise<Line[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = jsonLines(log().slice(since)).filter(match);
    if (found.length >= count) return found;
    if (Date.now() > deadline)
      throw new Error(`the log has ${found.length} of the ${count} line(s) expected after ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
}
