// @ts-check
/**
 * Fetches, starts, checks and stops a real Keycloak server from the official distribution on Maven
 * Central (org.keycloak:keycloak-quarkus-dist). No Docker: the server runs as a plain Java process.
 *
 * CLI: `node keycloak/keycloak.mjs fetch|start|stop|status`. The stack scripts import the functions.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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

/** @param {string} text output of `java -version` */
function parseJavaVersion(text) {
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
  if (existsSync(path.join(home, 'bin', 'kc.sh'))) return home;
  try {
    execFileSync('mvn', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new StackError(
      'Fetching Keycloak needs Maven (`mvn`) and it was not found: install Maven (for example ' +
        '`apt-get install maven`), or set KEYCLOAK_URL to an already running Keycloak.',
    );
  }
  mkdirSync(config.cacheDir, { recursive: true });
  progress(`fetching Keycloak ${config.keycloakVersion} from Maven Central (once; cached in keycloak/.cache)…`);
  const artifact = `org.keycloak:keycloak-quarkus-dist:${config.keycloakVersion}:zip`;
  const args = [
    '-B',
    '--no-transfer-progress',
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack',
    `-Dartifact=${artifact}`,
    `-DoutputDirectory=${config.cacheDir}`,
  ];
  // Without a pom the plugin writes "already unpacked" markers to a literal `${project.basedir}/target/`
  // folder in its working directory, and skips unpacking when it finds one. Run it in the (ignored)
  // cache and drop old markers, so a deleted distribution is always unpacked again.
  rmSync(path.join(config.cacheDir, '${project.basedir}'), { recursive: true, force: true });
  const output = await new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd: config.cacheDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const onData = (/** @type {Buffer} */ chunk) => {
      log += chunk;
      for (const line of String(chunk).split('\n')) if (/Download|Unpacking/.test(line)) progress(line.trim());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(log) : reject(new StackError(lastLines(log, 15)))));
  }).catch((error) => {
    throw new StackError(`Maven could not fetch ${artifact}: ${error.message}`);
  });
  if (!existsSync(path.join(home, 'bin', 'kc.sh'))) {
    throw new StackError(`Maven finished but ${home}/bin/kc.sh is missing: ${lastLines(String(output), 5)}`);
  }
  return home;
}

/**
 * The first ERROR line Keycloak logged (a failed realm import, a bad option), for a one-sentence report.
 * @param {string} logFile
 */
function firstError(logFile) {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : [];
  const errors = lines.filter((line) => / ERROR /.test(line)).map((line) => line.replace(/^.*?\) /, ''));
  const specific = errors.find((line) => !/Failed to start server|For more details/.test(line));
  return specific ? ` Keycloak said: ${specific.slice(0, 400)}` : '';
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
  await assertPortFree('Keycloak', config.host, config.keycloakPort);
  await assertPortFree('Keycloak (management)', config.host, config.keycloakManagementPort);
  const { javaHome, major } = findJava();
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
  await waitFor(
    'Keycloak',
    () => httpOk(`http://${config.host}:${config.keycloakManagementPort}/health/ready`),
    { timeoutMs: 240_000, isDead: service.exited },
  ).catch((error) => {
    throw new StackError(`${error.message}${firstError(service.logFile)} Its log is ${service.logFile}.`);
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
