import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processIdentity } from '../../../scripts/lib/identity.mjs';
import {
  type Launcher,
  type LauncherStack,
  exitOf,
  groupAlive,
  hasPidFiles,
  launcherStack,
  recordedGroups,
  stackCommand,
  startLauncher,
  survivorsAfter,
  waitForOutput,
} from '../helpers/launcher';

// `npm start` (scripts/start.mjs) as a real process, ended every way a user, a terminal or a
// process manager ends it; each time, every process of its stack is gone and its ports are free
// within the bound below. Each launcher runs its own Secrets Manager emulator and serverless offline
// on free ports and a scratch state folder, against the main test stack's Keycloak (KEYCLOAK_URL),
// so the main stack is never touched; one test starts a Keycloak of its own, because there the
// property is about Keycloak's own process tree (kc.sh and its java child).

/** How long a stopped stack may take to release everything: the launcher's SIGTERM grace is 15 s per service. */
const GONE_WITHIN_MS = 45_000;
/** Generous: bundling six functions and the first chain request on a loaded 2-core machine. */
const READY_WITHIN_MS = 180_000;

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

async function readyLauncher(nodeArgs: string[] = []): Promise<{ target: LauncherStack; launcher: Launcher; groups: number[] }> {
  const target = await launcherStack();
  scratch.push(target.stateDir);
  const launcher = startLauncher(target, nodeArgs);
  await waitForOutput(launcher, /^Ready\.$/m, READY_WITHIN_MS);
  const groups = recordedGroups(target.stateDir);
  expect(groups.length).toBeGreaterThanOrEqual(2); // the emulator and serverless offline
  expect(groups.every(groupAlive)).toBe(true);
  return { target, launcher, groups };
}

describe('npm start stops everything it started, however it ends', { timeout: READY_WITHIN_MS + GONE_WITHIN_MS + 30_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`on ${signal} (Ctrl-C, a process manager, a closed terminal)`, async () => {
      const { target, launcher, groups } = await readyLauncher();

      launcher.child.kill(signal);
      await exitOf(launcher);

      expect(await survivorsAfter(groups, target.ports, GONE_WITHIN_MS)).toEqual([]);
      expect(launcher.output()).toMatch(/stopping \(SIG/);
      expect(hasPidFiles(target.stateDir)).toBe(false);
    });
  }

  it('when its output pipe closed before Ctrl-C (`npm start | tee log`, then Ctrl-C ends tee first)', async () => {
    const { target, launcher, groups } = await readyLauncher();

    launcher.child.stdout?.destroy(); // the reader is gone: every later write is an EPIPE
    launcher.child.stderr?.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the log follower writes (and fails) meanwhile
    launcher.child.kill('SIGINT');
    const exit = await exitOf(launcher);

    expect(await survivorsAfter(groups, target.ports, GONE_WITHIN_MS)).toEqual([]);
    expect(exit).toBe(0); // a clean end, not a crash on EPIPE
    expect(hasPidFiles(target.stateDir)).toBe(false);
  });

  it('on an uncaught error in the launcher', async () => {
    const preload = path.join(__dirname, '..', 'helpers', 'throw-on-sigusr2.mjs');
    const { target, launcher, groups } = await readyLauncher(['--import', preload]);

    launcher.child.kill('SIGUSR2');
    const exit = await exitOf(launcher);

    expect(await survivorsAfter(groups, target.ports, GONE_WITHIN_MS)).toEqual([]);
    expect(exit).toBe(1);
    expect(launcher.output()).toContain('a launcher crash provoked by the lifecycle test');
    expect(launcher.output()).toMatch(/stopping \(uncaught error\)/);
  });

  it('when killed outright (SIGKILL): the next stack:down finds the leftovers by their recorded identity, stops them and says so in one line', async () => {
    const { target, launcher, groups } = await readyLauncher();

    launcher.child.kill('SIGKILL');
    await exitOf(launcher);
    expect(groups.every(groupAlive)).toBe(true); // nothing can clean up after SIGKILL in that process itself
    const down = stackCommand(target, 'down');

    expect(down.status).toBe(0);
    expect(down.output).toMatch(
      new RegExp(`\`npm start\` \\(pid ${launcher.child.pid}\\) ended without stopping its stack; stopped what it left running: serverless offline, secrets manager emulator`),
    );
    expect(await survivorsAfter(groups, target.ports, GONE_WITHIN_MS)).toEqual([]);
  });
});

describe('npm start with a Keycloak of its own', { timeout: 240_000 }, () => {
  it('stops Keycloak (kc.sh and its java child) when ended while Keycloak is still starting', async () => {
    const target = await launcherStack({ ownKeycloak: true });
    scratch.push(target.stateDir);
    const launcher = startLauncher(target);
    const keycloakPort = Number(target.env.KEYCLOAK_PORT);
    await waitForOutput(launcher, /keycloak: starting Keycloak/, 60_000);
    // Past Keycloak's build step (which rewrites the cached distribution) once its HTTP port listens.
    const { isPortOpen } = await import('../../../scripts/lib/proc.mjs');
    const deadline = Date.now() + 180_000;
    while (!(await isPortOpen('127.0.0.1', keycloakPort)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const groups = recordedGroups(target.stateDir);
    expect(groups).toHaveLength(1);

    launcher.child.kill('SIGTERM');
    await exitOf(launcher);

    expect(await survivorsAfter(groups, target.ports, GONE_WITHIN_MS)).toEqual([]);
  });
});

describe('stale and damaged pid files', () => {
  it('are reported in one sentence each, and the process a stale pid now names is left alone', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stack-stale-'));
    scratch.push(stateDir);
    // A stranger: a process this stack did not start, leading a process group of its own.
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    stranger.unref();
    try {
      const pid = stranger.pid!;
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The pid was ours once, but another process has it now: another start time.
      writeFileSync(path.join(stateDir, 'moto.pid'), JSON.stringify({ pid, startTime: '1', command: 'moto_server' }));
      // A bare pid as earlier versions wrote it: its command line is not serverless.
      writeFileSync(path.join(stateDir, 'offline.pid'), String(pid));
      writeFileSync(path.join(stateDir, 'keycloak.pid'), '');
      writeFileSync(path.join(stateDir, 'offline-side.pid'), '{"pid":12');
      const ports = await launcherStack();
      scratch.push(ports.stateDir);
      const target = { ...ports, stateDir, env: { ...ports.env, STACK_STATE_DIR: stateDir } };

      const down = stackCommand(target, 'down');

      expect(down.status).toBe(0);
      expect(processIdentity(pid)).toBeDefined(); // the stranger still runs
      expect(groupAlive(pid)).toBe(true);
      const lines = down.output.split('\n');
      expect(lines.filter((line) => line.includes(`names pid ${pid}, which is now another process (\`sleep 300\`)`))).toHaveLength(2);
      expect(lines.some((line) => /keycloak\.pid is empty, so it cannot say which process was keycloak: removed it and stopped nothing/.test(line))).toBe(true);
      expect(lines.some((line) => /offline-side\.pid is damaged/.test(line))).toBe(true);
      expect(down.output).toContain('[stack] nothing was running');
      expect(existsSync(path.join(stateDir, 'moto.pid'))).toBe(false);
    } finally {
      stranger.kill();
    }
  });
});

describe('a port taken by a foreign process', () => {
  it('gets one sentence naming the port and the variable that moves it, and the foreign process keeps it', async () => {
    const target = await launcherStack();
    scratch.push(target.stateDir);
    const [secretsPort] = target.ports;
    const foreign = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => foreign.listen(secretsPort, '127.0.0.1', resolve));
    try {
      const up = stackCommand(target, 'up');

      expect(up.status).toBe(1);
      expect(up.output).toContain(
        `[stack] Port ${secretsPort} on 127.0.0.1 is already in use, so the Secrets Manager emulator cannot start: stop whatever holds it ` +
          `(\`lsof -i :${secretsPort}\` shows it) or set SECRETS_MANAGER_PORT to a free port.`,
      );
      expect(foreign.listening).toBe(true);
      expect(hasPidFiles(target.stateDir)).toBe(false); // nothing was started
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });
});
