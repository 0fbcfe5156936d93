// @ts-check
/**
 * Fetches, starts, checks and stops a real Keycloak server from the official distribution on Maven
 * Central (org.keycloak:keycloak-quarkus-dist). No Docker: the server runs as a plain Java process.
 *
 * CLI: `node keycloak/keycloak.mjs fetch|start|stop|status`. The stack scripts import the functions.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackConfig } from '../scripts/lib/config.mjs';
import { StackError, assertPortFree, httpOk, startDetached, stopService, waitFor } from '../scripts/lib/proc.mjs';

const MIN_JAVA = 17;

/**
 * Finds the newest installed JDK (JAVA_HOME, the JVM folders, then `java` on PATH) that Keycloak supports.
 * @returns {{ javaHome: string | undefined, major: number }}
 */
export function findJava() {
  /** @type {(string | undefined)[]} */
  const homes = [process.env.JAVA_HOME];
  for (const root of ['/usr/lib/jvm', '/opt/java', '/Library/Java/JavaVirtualMachines']) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)) {
      const home = path.join(root, entry);
      homes.push(existsSync(path.join(home, 'Contents', 'Home')) ? path.join(home, 'Contents', 'Home') : home);
    }
  }
  homes.push(undefined); // `java` on PATH
  /** @type {{ javaHome: string | undefined, major: number } | undefined} */
  let best;
  for (const home of homes) {
    const major = javaMajor(home ? path.join(home, 'bin', 'java') : 'java');
    if (major !== undefined && major >= MIN_JAVA && (!best || major > best.major)) best = { javaHome: home, major };
  }
  if (!best) {
    throw new StackError(
      `Keycloak needs a Java runtime ${MIN_JAVA} or newer and none was found: install a JDK ` +
        `(for example \`apt-get install openjdk-21-jdk-headless\`) or point JAVA_HOME at one, ` +
        `or set KEYCLOAK_URL to an already running Keycloak.`,
    );
  }
  return best;
}

/** @param {string} javaBin */
function javaMajor(javaBin) {
  // `java -version` writes to stderr.
  const result = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  return result.status === 0 ? parseJavaVersion(`${result.stderr}${result.stdout}`) : undefined;
}

/**
 * The major version in the output of `java -version` (`1.8.0_…` → 8, `21.0.2` → 21).
 * @param {string} text
 */
export function parseJavaVersion(text) {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

/**
 * The folder of the unpacked distribution, fetching it with Maven on first use.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} [progress]
 */
export async function ensureDistribution(config, progress = () => {}) {
  const home = path.join(config.cacheDir, `keycloak-${config.keycloakVersion}`);
  if (isDistributionCached(config)) return home;
  assertMavenInstalled();
  mkdirSync(config.cacheDir, { recursive: true });
  progress(`fetching Keycloak ${config.keycloakVersion} from Maven Central (once; cached in keycloak/.cache)…`);
  const artifact = `org.keycloak:keycloak-quarkus-dist:${config.keycloakVersion}:zip`;
  // Without a POM the plugin writes "already unpacked" markers under `${project.basedir}/target/` of
  // the working directory, and a stale marker makes it skip the unpack (a marker once committed to
  // this repository broke every fresh clone): run it in a scratch folder removed afterwards.
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'keycloak-fetch-'));
  const args = [
    '-B',
    '--no-transfer-progress',
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack',
    `-Dartifact=${artifact}`,
    `-DoutputDirectory=${config.cacheDir}`,
  ];
  const output = await new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const onData = (/** @type {Buffer} */ chunk) => {
      log += chunk;
      for (const line of String(chunk).split('\n')) if (/Download|Unpacking/.test(line)) progress(line.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(log) : reject(new StackError(mavenFailureMessage(config.keycloakVersion, log)))));
  })
    .catch((error) => {
      throw error instanceof StackError ? error : new StackError(`Maven could not fetch ${artifact}: ${error.message}`);
    })
    .finally(() => rmSync(workDir, { recursive: true, force: true }));
  if (!existsSync(path.join(home, 'bin', 'kc.sh'))) {
    throw new StackError(
      `Maven reported success but ${home}/bin/kc.sh is missing: delete keycloak/.cache/ and start again ` +
        `(Maven said: ${lastLines(String(output), 1)}).`,
    );
  }
  return home;
}

/**
 * Whether the distribution of the configured version is already unpacked in the cache.
 * @param {ReturnType<typeof stackConfig>} config
 */
export function isDistributionCached(config) {
  return existsSync(path.join(config.cacheDir, `keycloak-${config.keycloakVersion}`, 'bin', 'kc.sh'));
}

/** Fails with one sentence when `mvn` cannot be run. */
function assertMavenInstalled() {
  try {
    execFileSync('mvn', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new StackError(
      'Fetching Keycloak needs Maven (`mvn`) and it was not found: install Maven (for example ' +
        '`apt-get install maven`), or set KEYCLOAK_URL to an already running Keycloak.',
    );
  }
}

/**
 * One sentence for a failed Maven fetch, from Maven's output: the version is not served, the
 * repository is unreachable, or else Maven's own first error line.
 * @param {string} version
 * @param {string} log Maven's stdout and stderr
 */
export function mavenFailureMessage(version, log) {
  const artifact = `org.keycloak:keycloak-quarkus-dist:${version}:zip`;
  const errors = stripAnsi(log)
    .split('\n')
    .filter((line) => line.startsWith('[ERROR]'))
    .map((line) => line.replace(/^\[ERROR\]\s*/, '').trim())
    .filter(Boolean);
  const first = (errors[0] ?? lastLines(stripAnsi(log), 1))
    .replace(/^Failed to execute goal .*?: /, '')
    .replace(/\s*-> \[Help \d+\]$/, '');
  if (/Could not find artifact|was not found in/.test(first)) {
    return (
      `Keycloak ${version} is not in the Maven repository (${artifact} was not found): set KEYCLOAK_VERSION to a ` +
      `served version (26.7.3 is the tested one) or KEYCLOAK_URL to an already running Keycloak.`
    );
  }
  if (/Could not transfer|Unknown host|Connection refused|timed out|Network is unreachable|UnknownHost/i.test(first)) {
    return (
      `Maven could not reach its repository to fetch ${artifact} (${first.slice(0, 200)}): check the network or ` +
      `the mirror and proxy in ~/.m2/settings.xml, or set KEYCLOAK_URL to an already running Keycloak.`
    );
  }
  return `Maven could not fetch ${artifact}: ${first.slice(0, 300)}`;
}

/**
 * Reads the realm file and fails with one sentence when Keycloak could not import it: not JSON
 * (with line and column), or a realm of another name than the one the stack waits for.
 * @param {{ realmFile: string, realm: string }} config
 * @param {string} [text] the file's content (read from `realmFile` when absent)
 */
export function checkRealmFile(config, text = readFileSync(config.realmFile, 'utf8')) {
  const file = path.relative(process.cwd(), config.realmFile) || config.realmFile;
  /** @type {{ realm?: unknown }} */
  let realm;
  try {
    realm = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = Number(/position (\d+)/.exec(message)?.[1]);
    const where = Number.isInteger(position) ? ` at line ${lineAndColumn(text, position)}` : '';
    throw new StackError(`The realm file ${file} is not valid JSON${where} (${message}): fix it and start again.`);
  }
  if (realm?.realm !== config.realm) {
    throw new StackError(
      `The realm file ${file} defines realm "${String(realm?.realm)}" but the stack expects "${config.realm}": ` +
        `rename one of them (KEYCLOAK_REALM sets the expected name).`,
    );
  }
}

/** @param {string} text @param {number} position */
function lineAndColumn(text, position) {
  const before = text.slice(0, position).split('\n');
  return `${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/**
 * One sentence for a Keycloak that exited or never became ready, from the ERROR lines of its log:
 * a failed realm import is named as such, otherwise Keycloak's own most specific error is quoted.
 * @param {{ exit: string | undefined, log: string, logFile: string, realmFile: string, timeoutSeconds: number }} facts
 */
export function keycloakFailureMessage({ exit, log, logFile, realmFile, timeoutSeconds }) {
  const errors = stripAnsi(log)
    .split('\n')
    .filter((line) => / ERROR /.test(line))
    .map((line) => line.replace(/^.*? ERROR \[[^\]]*\] \([^)]*\) /, '').replace(/^ERROR: /, '').trim());
  const generic = /^(Failed to start server|For more details|Failed to run import$)/;
  const specific = errors.find((line) => !generic.test(line));
  const importFailed = errors.some((line) => /^Failed to run import/.test(line));
  const what = exit ? `Keycloak stopped before it became ready (${exit})` : `Keycloak did not become ready within ${timeoutSeconds} s`;
  const realm = path.relative(process.cwd(), realmFile) || realmFile;
  if (importFailed) {
    return `${what} because the import of ${realm} failed${specific ? `: ${specific.slice(0, 300)}` : ''}; the full log is ${logFile}.`;
  }
  if (specific) {
    return `${what}: Keycloak said "${specific.slice(0, 300)}" (if that names something in ${realm}, the realm import failed); the full log is ${logFile}.`;
  }
  return `${what}; the full log is ${logFile}.`;
}

/** @param {string} text */
function stripAnsi(text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes removed here
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/**
 * Checks, before anything starts, what starting Keycloak needs: free ports, a JDK, Maven when the
 * distribution is not cached yet, and a realm file Keycloak can import.
 * @param {ReturnType<typeof stackConfig>} config
 */
export async function checkKeycloakPrerequisites(config) {
  await assertPortFree('Keycloak', config.host, config.keycloakPort, 'KEYCLOAK_PORT');
  await assertPortFree('Keycloak (management)', config.host, config.keycloakManagementPort, 'KEYCLOAK_MANAGEMENT_PORT');
  const java = findJava();
  if (!isDistributionCached(config)) assertMavenInstalled();
  checkRealmFile(config);
  return java;
}

/** @param {string} text @param {number} n */
function lastLines(text, n) {
  return text.trim().split('\n').slice(-n).join('\n');
}

/**
 * Starts Keycloak in dev mode on loopback with the realm imported and the hostname pinned, then waits
 * until it is ready. A no-op when KEYCLOAK_URL names an external server (only readiness is checked).
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} [progress]
 */
export async function startKeycloak(config, progress = () => {}) {
  if (config.externalKeycloakUrl) {
    progress(`using the Keycloak at ${config.externalKeycloakUrl} (KEYCLOAK_URL)`);
    await waitForRealm(config, 60_000);
    return;
  }
  const { javaHome, major } = await checkKeycloakPrerequisites(config);
  const home = await ensureDistribution(config, progress);
  // Exactly the realm files of keycloak/: a realm file removed from there must not linger in the cache.
  const importDir = path.join(home, 'data', 'import');
  rmSync(importDir, { recursive: true, force: true });
  mkdirSync(importDir, { recursive: true });
  for (const file of config.realmFiles) copyFileSync(file, path.join(importDir, path.basename(file)));
  progress(`starting Keycloak ${config.keycloakVersion} on Java ${major} (first start builds the server, ~1 min)…`);
  const service = startDetached({
    name: 'keycloak',
    command: path.join(home, 'bin', 'kc.sh'),
    args: [
      'start-dev',
      `--http-host=${config.host}`,
      `--http-port=${config.keycloakPort}`,
      `--http-management-port=${config.keycloakManagementPort}`,
      // One pinned base URL: `iss` follows the request host in dev mode otherwise.
      `--hostname=${config.keycloakUrl}`,
      '--health-enabled=true',
      // Per-endpoint request counts on the management port: tests and benchmarks count round-trips there.
      '--metrics-enabled=true',
      // A fresh in-memory database on every start: tests and demos begin from the realm file.
      '--db=dev-mem',
      '--import-realm',
    ],
    env: {
      ...process.env,
      ...(javaHome ? { JAVA_HOME: javaHome } : {}),
      KC_BOOTSTRAP_ADMIN_USERNAME: config.adminUser,
      KC_BOOTSTRAP_ADMIN_PASSWORD: config.adminPassword,
    },
    stateDir: config.stateDir,
  });
  // From 26.6 the HTTP port opens before the server is ready: wait on the management port.
  const timeoutMs = 240_000;
  await waitFor(
    'Keycloak',
    () => httpOk(`http://${config.host}:${config.keycloakManagementPort}/health/ready`),
    { timeoutMs, isDead: service.exited },
  ).catch(() => {
    throw new StackError(
      keycloakFailureMessage({
        exit: service.exitStatus(),
        log: existsSync(service.logFile) ? readFileSync(service.logFile, 'utf8') : '',
        logFile: service.logFile,
        realmFile: config.realmFile,
        timeoutSeconds: timeoutMs / 1000,
      }),
    );
  });
  for (const realm of realmNames(config)) await waitForRealm({ ...config, realm }, 30_000);
}

/**
 * The names of the realms in the realm files.
 * @param {ReturnType<typeof stackConfig>} config
 */
export function realmNames(config) {
  return config.realmFiles.map((file) => {
    const { realm } = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof realm !== 'string' || !realm) throw new StackError(`${file} has no "realm" name.`);
    return realm;
  });
}

/**
 * Waits until the realm's OpenID discovery document is served, which proves the realm import worked.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {number} timeoutMs
 */
export async function waitForRealm(config, timeoutMs) {
  await waitFor(
    `Keycloak realm "${config.realm}" at ${config.keycloakUrl}`,
    () => httpOk(`${config.keycloakUrl}/realms/${config.realm}/.well-known/openid-configuration`),
    { timeoutMs },
  );
}

/**
 * Stops the Keycloak that `startKeycloak` started, if any.
 * @param {ReturnType<typeof stackConfig>} config
 */
export function stopKeycloak(config) {
  return stopService('keycloak', config.stateDir);
}

async function main() {
  const config = stackConfig();
  const command = process.argv[2];
  const progress = (/** @type {string} */ line) => console.log(`[keycloak] ${line}`);
  if (command === 'fetch') console.log(await ensureDistribution(config, progress));
  else if (command === 'start') await startKeycloak(config, progress);
  else if (command === 'stop') console.log((await stopKeycloak(config)) ? 'stopped' : 'not running');
  else if (command === 'status') {
    await waitForRealm(config, 1000);
    console.log(`ready at ${config.keycloakUrl}/realms/${config.realm}`);
  } else throw new StackError('usage: node keycloak/keycloak.mjs fetch|start|stop|status');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof StackError ? error.message : error);
    process.exit(1);
  });
}
