// @ts-check
/**
 * Small process and network helpers shared by the stack scripts: probing ports, waiting for
 * health endpoints, spawning detached services with pid files, and stopping them.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { judgePidRecord, parsePidFile, processIdentity } from './identity.mjs';

/** A failure that the scripts report as one sentence, without a stack trace. */
export class StackError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'StackError';
  }
}

/**
 * Resolves true when something accepts TCP connections on host:port.
 * @param {string} host
 * @param {number} port
 */
export function isPortOpen(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (/** @type {boolean} */ open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The one-sentence report of a port another process holds.
 * @param {string} component what wanted the port, e.g. "Keycloak"
 * @param {string} host
 * @param {number} port
 * @param {string} envName the variable that moves it, e.g. KEYCLOAK_PORT
 */
export function portInUseMessage(component, host, port, envName) {
  return (
    `Port ${port} on ${host} is already in use, so ${component} cannot start: stop whatever holds it ` +
    `(\`lsof -i :${port}\` shows it) or set ${envName} to a free port.`
  );
}

/**
 * Fails with a clear sentence when a port this stack needs is already taken.
 * @param {string} component
 * @param {string} host
 * @param {number} port
 * @param {string} envName
 */
export async function assertPortFree(component, host, port, envName) {
  if (await isPortOpen(host, port)) throw new StackError(portInUseMessage(component, host, port, envName));
}

/**
 * Polls `check` until it resolves true, or fails after `timeoutMs` with `what` in the message.
 * @param {string} what
 * @param {() => Promise<boolean>} check
 * @param {{ timeoutMs: number, intervalMs?: number, isDead?: () => string | undefined }} options
 */
export async function waitFor(what, check, { timeoutMs, intervalMs = 500, isDead }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    const death = isDead?.();
    if (death) throw new StackError(`${what} stopped before it became ready: ${death}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new StackError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s.`);
}

/**
 * Resolves true when an HTTP GET of `url` answers with a 2xx status. `ca` (PEM) is an extra
 * certificate authority to trust for an https URL: the local stack's, which this process cannot
 * take from `NODE_EXTRA_CA_CERTS` after it started.
 * @param {string} url
 * @param {{ ca?: string }} [options]
 */
export async function httpOk(url, { ca } = {}) {
  if (ca && url.startsWith('https:')) {
    return new Promise((resolve, reject) => {
      const request = https.get(url, { ca: [...tls.rootCertificates, ca], timeout: 2000 }, (response) => {
        response.resume();
        response.on('end', () => resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300));
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', reject);
    });
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.ok;
}

/** Set once the launcher is stopping: nothing new may start behind its cleanup's back. */
let spawningStopped = false;

/**
 * Refuses every later {@link startDetached}: a launcher that is stopping calls this first, so a
 * start still in progress cannot add a service after the cleanup looked at the pid files.
 */
export function stopSpawning() {
  spawningStopped = true;
}

/**
 * What a service's command line looks like, by pid file name: only for bare pids written by
 * earlier versions, which recorded no start time.
 * @param {string} name
 */
function commandPatternOf(name) {
  if (name === 'keycloak') return /kc\.sh|keycloak/;
  if (name === 'moto') return /moto_server/;
  if (name.startsWith('offline')) return /serverless/;
  return undefined;
}

/**
 * Starts a long-running service detached from this process, its output in `<stateDir>/<name>.log`
 * and its identity in `<stateDir>/<name>.pid`, so that `stopService` can end it later.
 *
 * Why `detached`: the service leads a process group of its own, so one `kill(-pgid)` reaches
 * everything it spawned (kc.sh runs java as its child, serverless offline its workers), and a
 * terminal's signals (Ctrl-C, a closed terminal's SIGHUP) reach only the launcher, which then
 * stops the groups in order instead of leaving them to die half-way. The pid file records the
 * leader's start time and command line beside its pid ({@link processIdentity}): a pid alone may
 * name a stranger by the time it is read.
 * @param {{ name: string, command: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string, stateDir: string }} options
 */
export function startDetached({ name, command, args, env, cwd, stateDir }) {
  if (spawningStopped) throw new StackError(`Not starting ${name}: the launcher is stopping.`);
  mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(stateDir, `${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new StackError(`Could not start ${name} (${command}).`);
  const identity = processIdentity(child.pid);
  /** @type {import('./identity.mjs').PidRecord} */
  const record = { pid: child.pid, ...(identity ?? {}) };
  // Written whole or not at all: a reader never sees half a record from a crash mid-write.
  const pidFile = path.join(stateDir, `${name}.pid`);
  writeFileSync(`${pidFile}.tmp`, JSON.stringify(record));
  renameSync(`${pidFile}.tmp`, pidFile);
  /** @type {string | undefined} */
  let exit;
  child.once('exit', (code, signal) => {
    exit = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  child.unref();
  return {
    pid: child.pid,
    logFile,
    /** How it ended (`exit code 1`), or undefined while it runs. */
    exitStatus: () => exit,
    /** How it ended and where its log is, for `waitFor`'s `isDead`; undefined while it runs. */
    exited: () => (exit ? `${exit}; its log is ${logFile}` : undefined),
  };
}

/**
 * Ends a service started by `startDetached` (its whole process group), if its pid file names a
 * process that is still the one recorded. A pid file that is empty or damaged, or whose pid now
 * belongs to another process, is removed and reported through `report` in one sentence; nothing
 * that is not ours is ever signalled.
 * @param {string} name
 * @param {string} stateDir
 * @param {{ report?: (line: string) => void }} [options]
 * @returns {Promise<boolean>} whether something was stopped
 */
export async function stopService(name, stateDir, { report = () => {} } = {}) {
  const pidFile = path.join(stateDir, `${name}.pid`);
  if (!existsSync(pidFile)) return false;
  const shown = path.relative(process.cwd(), pidFile) || pidFile;
  const parsed = parsePidFile(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if ('problem' in parsed) {
    report(
      `The pid file ${shown} ${parsed.problem}, so it cannot say which process was ${name}: removed it and stopped ` +
        `nothing; if an earlier ${name} still holds its port, find it with \`lsof -i :<port>\` and stop it yourself.`,
    );
    return false;
  }
  const { record } = parsed;
  const verdict = judgePidRecord(record, processIdentity(record.pid), signalGroup(record.pid, 0), commandPatternOf(name));
  if (verdict === 'reused') {
    const now = processIdentity(record.pid);
    report(
      `The pid file ${shown} names pid ${record.pid}, which is now another process (\`${(now?.command ?? '?').slice(0, 80)}\`), ` +
        `not the ${name} this stack started: left that process alone and removed the stale pid file.`,
    );
    return false;
  }
  if (verdict === 'gone') return false;
  if (!signalGroup(record.pid, 'SIGTERM')) return false;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && signalGroup(record.pid, 0)) await new Promise((r) => setTimeout(r, 200));
  if (signalGroup(record.pid, 0)) signalGroup(record.pid, 'SIGKILL');
  return true;
}

/**
 * Sends a signal to a process group; false when the group no longer exists.
 * @param {number} pid
 * @param {NodeJS.Signals | 0} signal
 */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    // EPERM: the group exists but is not ours to signal (another user's): treat it as alive, never touch it.
    return signal === 0 && /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}
