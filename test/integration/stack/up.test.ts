import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { credentialFreeEnv } from '../../../scripts/bundle-size.mjs';
import { projectRoot } from '../../../scripts/lib/config.mjs';
import {
  type LauncherStack,
  exitOf,
  groupAlive,
  launcherStack,
  recordedGroups,
  stackCommand,
  startLauncher,
  survivorsAfter,
  waitForOutput,
} from '../helpers/launcher';
import { callWithGuard } from '../helpers/side-stack';
import { stack } from '../helpers/stack';

/** Every file under `dir` with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (current: string) => {
    for (const entry of readdirSync(current)) {
      const full = path.join(current, entry);
      const info = statSync(full);
      if (info.isDirectory()) visit(full);
      else files[path.relative(dir, full)] = `${info.size}@${info.mtimeMs}`;
    }
  };
  visit(dir);
  return files;
}

describe('serverless package while the stack runs', { timeout: 300_000 }, () => {
  it('bundles the dev stage in its own folder and leaves the bundles the running stack serves alone', async () => {
    const served = path.join(stack.stateDir, 'esbuild');
    expect(existsSync(served)).toBe(true); // the running stack bundles in its own state folder
    const before = snapshot(served);
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'package-while-running-'));
    try {
      // In place, as a user would run it, only with the zips written outside the project.
      const run = spawnSync(
        process.execPath,
        [path.join(projectRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'package', '--stage', 'dev', '--package', scratch],
        { cwd: projectRoot, env: credentialFreeEnv(scratch), encoding: 'utf8', timeout: 240_000 },
      );
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    expect(snapshot(served)).toEqual(before);
    expect((await callWithGuard(stack.apiUrl, 'GET', '/run-service-b')).status).toBe(200);
  });
});

describe('npm run stack:up on a stack that is no longer whole', { timeout: 480_000 }, () => {
  let target: LauncherStack | undefined;
  afterAll(() => {
    if (!target) return;
    stackCommand(target, 'down');
    rmSync(target.stateDir, { recursive: true, force: true });
  });

  it('restarts it and answers only once the chain does', async () => {
    target = await launcherStack();
    const first = stackCommand(target, 'up');
    expect(first.status, first.output).toBe(0);
    expect(first.output).toContain('A → B → C answered 200');
    const offlinePid = (JSON.parse(readFileSync(path.join(target.stateDir, 'offline.pid'), 'utf8')) as { pid: number }).pid;

    process.kill(-offlinePid, 'SIGKILL'); // serverless offline dies; the emulator and the marker stay
    expect(await survivorsAfter([offlinePid], [], 15_000)).toEqual([]);
    const second = stackCommand(target, 'up');

    expect(second.status, second.output).toBe(0);
    expect(second.output).toContain('stopped what was left of an earlier stack: secrets manager emulator');
    expect(second.output).toContain('A → B → C answered 200');
    const [, httpPort] = target.ports;
    expect((await callWithGuard(`http://${stack.host}:${httpPort}/${stack.stage}`, 'GET', '/run-service-b')).status).toBe(200);
    expect(recordedGroups(target.stateDir).every(groupAlive)).toBe(true);
  });

  it('is followed, not owned, by npm start: Ctrl-C there leaves it running', async () => {
    // The stack of the test above, up through stack:up.
    const groups = recordedGroups(target!.stateDir);
    const launcher = startLauncher(target!);
    await waitForOutput(launcher, /^Ready\.$/m, 120_000);

    launcher.child.kill('SIGINT');
    await exitOf(launcher);

    expect(launcher.output()).toContain('[start] the stack is already up');
    expect(launcher.output()).toContain('Ctrl-C here leaves it running');
    expect(launcher.output()).not.toContain('stopping');
    expect(groups.every(groupAlive)).toBe(true);
  });
});
