// @ts-check
/**
 * Builds the library (`dist/`, `npm run build`) when its sources are newer than the build: the
 * functions bundle the library by its package name, through `exports`, from `dist/`, exactly as an
 * installed copy would be bundled (tsconfig.bundle.json). Used before serverless offline starts and
 * before anything packages the service.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './config.mjs';
import { StackError } from './proc.mjs';

const LIBRARY_SOURCES = ['shared', 'tsup.config.ts', 'tsconfig.build.json', 'tsconfig.json', 'package.json'];
const BUILT = ['dist/index.mjs', 'dist/lambda.mjs', 'dist/index.d.mts', 'dist/lambda.d.mts'];

/** @param {string} absolute @returns {number} newest modification time below `absolute` */
function newestMtime(absolute) {
  if (!existsSync(absolute)) return 0;
  const stat = statSync(absolute);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(absolute).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(absolute, entry))), stat.mtimeMs);
}

/**
 * Whether `dist/` is missing or older than the library's sources.
 * @param {string} [root]
 */
export function isLibraryBuildStale(root = projectRoot) {
  const built = BUILT.map((file) => path.join(root, file));
  if (!built.every((file) => existsSync(file))) return true;
  const oldestBuilt = Math.min(...built.map((file) => statSync(file).mtimeMs));
  return LIBRARY_SOURCES.some((source) => newestMtime(path.join(root, source)) > oldestBuilt);
}

/**
 * Runs the library build when it is stale; throws a {@link StackError} with tsup's output when it fails.
 * @param {{ root?: string, force?: boolean }} [options]
 * @returns {boolean} whether it built
 */
export function buildLibrary({ root = projectRoot, force = false } = {}) {
  if (!force && !isLibraryBuildStale(root)) return false;
  const tsup = path.join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js');
  if (!existsSync(tsup)) throw new StackError('tsup is not installed in node_modules/: run `npm ci` in the project folder first.');
  const run = spawnSync(process.execPath, [tsup], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new StackError(`The library build (npm run build) failed:\n${run.stdout}${run.stderr}`);
  return true;
}
