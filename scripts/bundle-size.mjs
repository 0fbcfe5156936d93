// @ts-check
/**
 * `npm run bundle-size`: packages the service the way `serverless deploy` would (one zip per
 * function, esbuild bundles) and prints each function's bundle size in KB.
 *
 * Packaging happens in a scratch copy of the project, never in place: serverless-esbuild deletes
 * its work folder after packaging, and a running `serverless offline` serves its bundles from
 * there. The copy also runs without AWS credentials, which `serverless package` does not need.
 * `packageService` and `zipEntries` are shared with test/deploy/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLibrary } from './lib/build.mjs';
import { projectRoot } from './lib/config.mjs';
import { StackError } from './lib/proc.mjs';

/** Top-level entries never copied: dependencies (linked instead), VCS, build output, caches, state. */
const NOT_COPIED = new Set(['node_modules', 'coverage']);

/**
 * A packaged service: where it lives, its CloudFormation template and its function artifacts.
 * @typedef {{
 *   dir: string,
 *   outputDir: string,
 *   templateFile: string,
 *   template: any,
 *   artifacts: Record<string, string>,
 *   output: string,
 *   remove: () => void,
 * }} PackagedService
 */

/**
 * The environment `serverless package` runs in: no AWS credentials or profile (nothing is
 * deployed), HOME in the scratch dir so that no ~/.aws file is read, and no telemetry.
 * @param {string} home
 * @returns {NodeJS.ProcessEnv}
 */
export function credentialFreeEnv(home) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE|SHARED_CREDENTIALS_FILE|CONFIG_FILE)$/.test(name)) delete env[name];
  }
  return { ...env, HOME: home, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
}

/**
 * Runs `serverless package --stage <stage>` in a scratch copy of the project.
 * @param {{ stage: string, params?: Record<string, string>, root?: string }} options
 * @returns {PackagedService}
 */
export function packageService({ stage, params = {}, root = projectRoot }) {
  buildLibrary({ root });
  const dir = mkdtempSync(path.join(os.tmpdir(), `keycloak-s2s-package-${stage}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(root, dir, {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(root, source);
        if (relative === '') return true;
        // Dot entries anywhere (.git, .esbuild, .serverless, .stack, keycloak/.cache) are state, not source.
        return !relative.split(path.sep).some((part) => part.startsWith('.') || NOT_COPIED.has(part));
      },
    });
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), process.platform === 'win32' ? 'junction' : 'dir');
    const args = ['package', '--stage', stage, ...Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`])];
    const run = spawnSync(process.execPath, [path.join(dir, 'node_modules', 'serverless', 'bin', 'serverless.js'), ...args], {
      cwd: dir,
      env: credentialFreeEnv(dir),
      encoding: 'utf8',
      timeout: 240_000,
    });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    if (run.status !== 0) throw new StackError(`serverless ${args.join(' ')} failed (${run.error?.message ?? `exit ${run.status}`}):\n${output}`);
    const outputDir = path.join(dir, '.serverless');
    const templateFile = path.join(outputDir, 'cloudformation-template-update-stack.json');
    const state = JSON.parse(readFileSync(path.join(outputDir, 'serverless-state.json'), 'utf8'));
    /** @type {Record<string, string>} */
    const artifacts = {};
    for (const [name, fn] of Object.entries(state.service.functions)) {
      // serverless-esbuild records `.serverless/<name>.zip` whatever the output folder: keep the file name only.
      if (fn.package?.artifact) artifacts[name] = path.join(outputDir, path.basename(fn.package.artifact));
    }
    return { dir, outputDir, templateFile, template: JSON.parse(readFileSync(templateFile, 'utf8')), artifacts, output, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * The entries of a zip file, read from its central directory (no dependency, no extraction).
 * @param {string} file
 * @returns {{ name: string, size: number, compressedSize: number, method: number, localHeaderOffset: number }[]}
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.12, 4.3.16)
 */
export function zipEntries(file) {
  const zip = readFileSync(file);
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new StackError(`${file} is not a zip file.`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new StackError(`${file}: corrupt central directory.`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      method: zip.readUInt16LE(offset + 10),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The content of one entry of a zip file (stored or deflated, the two methods zip tools write).
 * @param {string} file
 * @param {string} name
 * @returns {Buffer}
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.7)
 */
export function readZipEntry(file, name) {
  const entry = zipEntries(file).find((e) => e.name === name);
  if (!entry) throw new StackError(`${file} has no entry ${name}.`);
  const zip = readFileSync(file);
  const header = entry.localHeaderOffset;
  if (zip.readUInt32LE(header) !== 0x04034b50) throw new StackError(`${file}: corrupt local header of ${name}.`);
  const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw new StackError(`${file}: ${name} uses compression method ${entry.method}.`);
}

/** @param {number} bytes */
const kb = (bytes) => (bytes / 1024).toFixed(1);

/**
 * One row per function: the zip Lambda receives, the bundle inside it and its source map.
 * @param {Record<string, string>} artifacts function name → zip file
 */
export function bundleSizes(artifacts) {
  return Object.entries(artifacts).map(([name, file]) => {
    const entries = zipEntries(file);
    const sum = (/** @type {(name: string) => boolean} */ match) =>
      entries.filter((entry) => match(entry.name)).reduce((total, entry) => total + entry.size, 0);
    return {
      name,
      zipBytes: readFileSync(file).length,
      bundleBytes: sum((entry) => entry.endsWith('.js') || entry.endsWith('.cjs') || entry.endsWith('.mjs')),
      sourceMapBytes: sum((entry) => entry.endsWith('.map')),
      files: entries.map((entry) => entry.name),
    };
  });
}

async function main() {
  // Bundles do not depend on stage params; the Keycloak URL is only a placeholder to package with.
  const packaged = packageService({ stage: 'ci', params: { keycloakUrl: 'https://keycloak.invalid' } });
  try {
    const rows = bundleSizes(packaged.artifacts);
    const header = ['function', 'zip KB', 'bundle KB', 'source map KB'];
    const lines = rows.map((row) => [row.name, kb(row.zipBytes), kb(row.bundleBytes), kb(row.sourceMapBytes)]);
    const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => String(line[column]).length)));
    const format = (/** @type {string[]} */ cells) =>
      cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
    console.log(format(header));
    for (const line of lines) console.log(format(line));
    const total = rows.reduce((sum, row) => sum + row.zipBytes, 0);
    console.log(`\n${rows.length} functions, ${kb(total)} KB of zips to upload (bundle = minified handler with its dependencies).`);
  } finally {
    packaged.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`[bundle-size] ${error instanceof StackError ? error.message : error}`);
    process.exit(1);
  });
}
