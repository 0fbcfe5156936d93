/**
 * The library as a team installs it: `npm pack`, the tarball installed into a fresh project outside
 * the repository (no path back to its sources), and in that project an authorizer for a new
 * service `inventory` and an `orders` handler that calls it with an exchanged token — bundled with
 * esbuild, type-checked against the published declarations, and unit-tested with Node's own runner.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerProject, installConsumerProject, manifest, repositoryBin, repositoryRoot, run } from './consumer-project';

let project: ConsumerProject;
let consumer: string;
let tarball: string;

beforeAll(() => {
  project = installConsumerProject();
  ({ dir: consumer, tarball } = project);
}, 240_000);

afterAll(() => project?.remove());

describe('the packed library', () => {
  it('ships the built entry points and their declarations, and nothing else', () => {
    // Act
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();

    // Assess
    expect(files.every((file) => /^package\/(dist\/[^/]+\.(mjs|d\.mts|mjs\.map)|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(file))).toBe(true);
    expect(files).toEqual(expect.arrayContaining(['package/dist/index.mjs', 'package/dist/index.d.mts', 'package/dist/lambda.mjs', 'package/dist/lambda.d.mts']));
  });

  it('installs into a project that cannot reach the repository, with its runtime dependencies', () => {
    // Act
    const installed = readdirSync(path.join(consumer, 'node_modules', manifest.name));

    // Assess
    expect(installed).toContain('dist');
    expect(installed).not.toContain('shared');
    expect(path.relative(repositoryRoot, consumer).startsWith('..')).toBe(true);
  });

  it("bundles the team's authorizer and handler with esbuild from the public entry points alone", async () => {
    // Act
    const result = await build({
      absWorkingDir: consumer,
      entryPoints: ['src/authorizer.ts', 'src/orders-handler.ts', 'src/inventory-handler.ts'],
      outdir: 'build',
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      metafile: true,
      logLevel: 'silent',
    });

    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes(`node_modules/${manifest.name}/dist/`))).toBe(true);
    expect(inputs.filter((input) => input.includes('/shared/'))).toEqual([]);
    expect(result.errors).toEqual([]);
  });

  it('type-checks against the published declarations (strict, nodenext resolution)', () => {
    // Act
    const output = run(repositoryBin('tsc'), ['-p', 'tsconfig.json'], consumer);

    // Assess
    expect(output).toBe('');
  });

  it("runs the team's unit tests against the installed library", async () => {
    // Prepare
    const tests = readdirSync(path.join(consumer, 'test')).filter((file) => file.endsWith('.test.ts'));
    await build({
      absWorkingDir: consumer,
      entryPoints: tests.map((file) => `test/${file}`),
      outdir: 'build-tests',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    });

    // Act
    const result = spawnSync(process.execPath, ['--test', ...tests.map((file) => `build-tests/${file.replace(/\.ts$/, '.mjs')}`)], {
      cwd: consumer,
      encoding: 'utf8',
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });

    // Assess
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/# pass 7\b/);
    expect(result.stdout).toMatch(/# fail 0\b/);
  });
});
