/**
 * Runs the stack's launchers (`scripts/start.mjs`, `scripts/stack.mjs`) as real processes on ports
 * and a state folder of their own, next to the main test stack, which they never touch: they use the
 * main stack's Keycloak through KEYCLOAK_URL (the launcher then starts no Keycloak of its own), and
 * start their own Secrets Manager emulator and serverless offline on free ports.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../../scripts/lib/config.mjs';
import { isPortOpen } from '../../../scripts/lib/proc.mjs';
import { freePort } from './side-stack';
import { sleep, stack } from './stack';

/** The ports and state folder of one launcher's stack. */
export interface LauncherStack {
  env: NodeJS.ProcessEnv;
  stateDir: string;
  ports: number[];
}

/** A fresh stack configuration: free ports, a scratch state folder, the main stack's Keycloak unless `ownKeycloak`. */
export async function launcherStack({ ownKeycloak = false } = {}): Promise<LauncherStack> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stack-lifecycle-'));
  const [secrets, http, lambda, keycloak, management] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STACK_STATE_DIR: stateDir,
    SECRETS_MANAGER_PORT: String(secrets),
    OFFLINE_HTTP_PORT: String(http),
    OFFLINE_LAMBDA_PORT: String(lambda),
    KEYCLOAK_PORT: String(keycloak),
    KEYCLOAK_MANAGEMENT_PORT: String(management),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: '',
  };
  if (ownKeycloak) delete env.KEYCLOAK_URL;
  else env.KEYCLOAK_URL = stack.keycloakUrl;
  const ports = ownKeycloak ? [secrets, http, lambda, keycloak, management] : [secrets, http, lambda];
  return { env, stateDir, ports };
}

/** A launcher process and everything it printed so far. */
export interface Launcher {
  child: ChildProcess;
  output(): string;
}

/** Starts `node [nodeArgs] scripts/start.mjs` (what `npm start` runs) with the stack's environment. */
export function startLauncher(target: LauncherStack, nodeArgs: string[] = []): Launcher {
  const child = spawn(process.execPath, [...nodeArgs, path.join(projectRoot, 'scripts', 'start.mjs')], {
    cwd: projectRoot,
    env: target.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Waits until the launcher's output matches `pattern`; fails with its output when it exits first or the wait times out. */
export async function waitForOutput(launcher: Launcher, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(launcher.output())) {
    if (launcher.child.exitCode !== null || launcher.child.signalCode !== null) {
      throw new Error(`the launcher exited before printing ${pattern}:\n${launcher.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`the launcher did not print ${pattern} within ${timeoutMs / 1000} s:\n${launcher.output()}`);
    await sleep(250);
  }
}

/** The process groups the stack's pid files name (each service leads its own group). */
export function recordedGroups(stateDir: string): number[] {
  return readdirSync(stateDir)
    .filter((name) => name.endsWith('.pid'))
    .map((name) => (JSON.parse(readFileSync(path.join(stateDir, name), 'utf8')) as { pid: number }).pid);
}

/** Whether any process of the group still runs. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits, at most `timeoutMs`, until none of `groups` has a process left and none of `ports` accepts
 * connections; resolves what still survives then (empty when all is gone).
 */
export async function survivorsAfter(groups: number[], ports: number[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const survivors = [
      ...groups.filter(groupAlive).map((pgid) => `process group ${pgid}`),
      ...(await Promise.all(ports.map(async (port) => ((await isPortOpen(stack.host, port)) ? `port ${port}` : undefined)))).filter(
        (port): port is string => port !== undefined,
      ),
    ];
    if (survivors.length === 0 || Date.now() > deadline) return survivors;
    await sleep(250);
  }
}

/** Resolves the launcher's exit code (or signal) once it has exited. */
export function exitOf(launcher: Launcher): Promise<number | NodeJS.Signals> {
  const { child } = launcher;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal as NodeJS.Signals))));
}

/** Runs `node scripts/stack.mjs <command>` for the stack and returns its output and exit code. */
export function stackCommand(target: LauncherStack, command: 'up' | 'down'): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'stack.mjs'), command], {
    cwd: projectRoot,
    env: target.env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Whether the stack folder still holds pid files. */
export const hasPidFiles = (stateDir: string) => existsSync(stateDir) && readdirSync(stateDir).some((name) => name.endsWith('.pid'));
