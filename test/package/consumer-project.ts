/**
 * A team's project outside the repository: the packed library installed from its tarball, with the
 * sources of test/package/consumer/ copied beside it. Used by the pack test and by the fourth-service
 * integration test.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildLibrary } from '../../scripts/lib/build.mjs';

export const repositoryRoot = path.resolve(import.meta.dirname, '../..');

/** The repository's package.json. */
export const manifest = JSON.parse(readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
};

/** A binary of the repository's dev dependencies (the tools, never the library's sources). */
export const repositoryBin = (name: string) => path.join(repositoryRoot, 'node_modules', '.bin', name);

/** Runs a command; throws with its output when it fails. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export interface ConsumerProject {
  /** The temporary folder holding the tarball and the project. */
  work: string;
  /** The packed library. */
  tarball: string;
  /** The team's project, with the tarball installed. */
  dir: string;
  remove(): void;
}

/**
 * Packs the library (building it first when its sources changed) and installs the tarball, with the
 * type packages of the team's own code, into a copy of test/package/consumer/ in a temporary folder.
 */
export function installConsumerProject(): ConsumerProject {
  const work = mkdtempSync(path.join(tmpdir(), 'kls2s-consumer-'));
  try {
    // Built first, so that pack's own output is the JSON alone; prepack builds too, for a publish.
    buildLibrary();
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repositoryRoot)) as { filename: string }[];
    const tarball = path.join(work, packed[0]!.filename);
    const dir = path.join(work, 'consumer');
    cpSync(path.join(repositoryRoot, 'test', 'package', 'consumer'), dir, { recursive: true });
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--ignore-scripts',
        tarball,
        `@types/aws-lambda@${manifest.devDependencies['@types/aws-lambda']}`,
        `@types/node@${manifest.devDependencies['@types/node']}`,
      ],
      dir,
    );
    return { work, tarball, dir, remove: () => rmSync(work, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}
