// @ts-check
/**
 * Small process and network helpers shared by the stack scripts: probing ports, waiting for
 * health endpoints, spawning detached services with pid files, and stopping them.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

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
 * Resolves true when an HTTP GET of `url` answers with a 2xx status.
 * @param {string} url
 */
export async function httpOk(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.ok;
}

/**
 * Starts a long-running service detached from this process, its output in `<stateDir>/<name>.log`
 * and its process-group id in `<stateDir>/<name>.pid`, so that `stopService` can end it later.
 * @param {{ name: string, command: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string, stateDir: string }} options
 */
export function startDetached({ name, command, args, env, cwd, stateDir }) {
  mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(stateDir, `${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new StackError(`Could not start ${name} (${command}).`);
  writeFileSync(path.join(stateDir, `${name}.pid`), String(child.pid));
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
 * Ends a service started by `startDetached` (its whole process group), if its pid file exists.
 * @param {string} name
 * @param {string} stateDir
 * @returns {Promise<boolean>} whether something was stopped
 */
export async function stopService(name, stateDir) {
  const pidFile = path.join(stateDir, `${name}.pid`);
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (!signalGroup(pid, 'SIGTERM')) return false;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && signalGroup(pid, 0)) await new Promise((r) => setTimeout(r, 200));
  if (signalGroup(pid, 0)) signalGroup(pid, 'SIGKILL');
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
  } catch {
    return false;
  }
}
