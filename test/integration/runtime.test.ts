import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { majorOf, requiredMajor } from '../../scripts/ensure-node.mjs';
import { parsePidFile } from '../../scripts/lib/identity.mjs';
import { stack } from './helpers/stack';

describe('the local stack runs the functions on the Node.js the project requires', () => {
  // /proc names a process's executable on Linux only (the machines this suite and CI run on).
  it.skipIf(process.platform !== 'linux')('serverless offline, whose worker threads run the handlers, runs on Node.js ≥ .nvmrc', () => {
    const parsed = parsePidFile(readFileSync(path.join(stack.stateDir, 'offline.pid'), 'utf8'));
    if (!('record' in parsed)) throw new Error(`offline.pid ${parsed.problem}`);
    const { pid } = parsed.record;
    const executable = readlinkSync(`/proc/${pid}/exe`);
    const version = spawnSync(executable, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`serverless offline runs on ${executable} ${version}`);
    expect(majorOf(version)).toBeGreaterThanOrEqual(requiredMajor());
  });
});
