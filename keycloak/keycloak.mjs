// @ts-check
/**
 * Fetches, starts, checks and stops a real Keycloak server from the official distribution on Maven
 * Central (org.keycloak:keycloak-quarkus-dist). No Docker: the server runs as a plain Java process.
 *
 * CLI: `node keycloak/keycloak.mjs fetch|start|stop|status`. The stack scripts import the functions.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLibrary } from '../scripts/lib/build.mjs';
import { stackConfig } from '../scripts/lib/config.mjs';
import { devClientKey, signedJwtClients, withDevPublicKeys } from '../scripts/lib/dev-keys.mjs';
import { StackError, assertPortFree, httpOk, startDetached, stopService, waitFor } from '../scripts/lib/proc.mjs';
import { ensureLocalCertificates, localCa } from '../scripts/lib/tls.mjs';

const MIN_JAVA = 17;

/**
 * The newest Java each Keycloak line runs on, where that is not "any": Keycloak bundles Byte Buddy
 * (through Quarkus/Hibernate), whose build step refuses class files newer than it knows. Measured on
 * this project's machines: Keycloak 26.2.5 (Byte Buddy 1.15.11) stops at start on Java 25 with "Java
 * 25 (69) is not supported by the current version of Byte Buddy which officially supports Java 24
 * (68)" and runs on Java 17; 26.5.6 (Byte Buddy 1.17.6) builds and 26.7.3 (1.17.8) runs on Java 25;
 * 26.4.7 bundles the same Byte Buddy 1.17.6 as 26.5.6. 26.4.0–26.4.6 were not measured: should one of
 * them stop on Java 25, the launcher's failure sentence names the cause ({@link keycloakFailureMessage}).
 * Versions from 26.4.0 on are taken to run on any Java ≥ 17; `JAVA_HOME` overrides the choice either way.
 * @type {{ below: string, maxJava: number }[]} "versions below `below` run on at most `maxJava`"
 */
export const JAVA_CEILINGS = [{ below: '26.4.0', maxJava: 24 }];

/**
 * Compares two dotted versions numerically (`26.10.0` > `26.9.1`).
 * @param {string} a
 * @param {string} b
 */
export function compareVersions(a, b) {
  const pa = a.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The Java majors a Keycloak version runs on.
 * @param {string} keycloakVersion
 * @returns {{ min: number, max: number }}
 */
export function supportedJava(keycloakVersion) {
  const ceiling = JAVA_CEILINGS.find(({ below }) => compareVersions(keycloakVersion, below) < 0);
  return { min: MIN_JAVA, max: ceiling?.maxJava ?? Number.POSITIVE_INFINITY };
}

/** @typedef {{ javaHome: string | undefined, major: number | undefined }} JavaCandidate */

/**
 * Chooses the JDK to run Keycloak `keycloakVersion` with, from what is installed (pure: the caller
 * probes). `JAVA_HOME`, when set, wins: it is the user's explicit choice, and it is refused only
 * when it is no working Java or one this Keycloak version is known not to run on. Otherwise the
 * newest JDK the version supports is chosen (newer is faster and better supported).
 * @param {{ keycloakVersion: string, javaHomeEnv: string | undefined, candidates: JavaCandidate[] }} facts
 * @returns {{ javaHome: string | undefined, major: number }}
 */
export function chooseJava({ keycloakVersion, javaHomeEnv, candidates }) {
  const { min, max } = supportedJava(keycloakVersion);
  const range = Number.isFinite(max) ? `Java ${min} to ${max}` : `Java ${min} or newer`;
  if (javaHomeEnv) {
    const major = candidates.find((c) => c.javaHome === javaHomeEnv)?.major;
    if (major === undefined) {
      throw new StackError(`JAVA_HOME is ${javaHomeEnv}, but ${javaHomeEnv}/bin/java does not run: point JAVA_HOME at a JDK (${range} for Keycloak ${keycloakVersion}) or unset it to let the stack choose one.`);
    }
    if (major < min || major > max) {
      throw new StackError(`JAVA_HOME is Java ${major}, which Keycloak ${keycloakVersion} does not run on (it needs ${range}): point JAVA_HOME at such a JDK or unset it to let the stack choose one.`);
    }
    return { javaHome: javaHomeEnv, major };
  }
  /** @type {{ javaHome: string | undefined, major: number } | undefined} */
  let best;
  for (const { javaHome, major } of candidates) {
    if (major !== undefined && major >= min && major <= max && (!best || major > best.major)) best = { javaHome, major };
  }
  if (!best) {
    const found = candidates.filter((c) => c.major !== undefined).map((c) => `Java ${c.major}`);
    throw new StackError(
      `Keycloak ${keycloakVersion} needs ${range} and ${found.length ? `only ${[...new Set(found)].join(', ')} was found` : 'no Java was found'}: ` +
        `install such a JDK (for example \`apt-get install openjdk-21-jdk-headless\`) or point JAVA_HOME at one, ` +
        `or set KEYCLOAK_URL to an already running Keycloak.`,
    );
  }
  return best;
}

/**
 * Finds the JDK to run Keycloak with: JAVA_HOME when set, else the newest of the JVM folders and
 * `java` on PATH that the configured Keycloak version supports ({@link chooseJava}).
 * @param {string} keycloakVersion
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ javaHome: string | undefined, major: number }}
 */
export function findJava(keycloakVersion, env = process.env) {
  const javaHomeEnv = env.JAVA_HOME || undefined;
  /** @type {(string | undefined)[]} */
  const homes = [];
  if (javaHomeEnv) homes.push(javaHomeEnv);
  else {
    for (const root of ['/usr/lib/jvm', '/opt/java', '/Library/Java/JavaVirtualMachines']) {
      if (!existsSync(root)) continue;
      for (const entry of readdirSync(root)) {
        const home = path.join(root, entry);
        homes.push(existsSync(path.join(home, 'Contents', 'Home')) ? path.join(home, 'Contents', 'Home') : home);
      }
    }
    homes.push(undefined); // `java` on PATH
  }
  const candidates = homes.map((javaHome) => ({ javaHome, major: javaMajor(javaHome ? path.join(javaHome, 'bin', 'java') : 'java') }));
  return chooseJava({ keycloakVersion, javaHomeEnv, candidates });
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
  if (existsSync(home)) {
    // Not ours to delete blindly: a folder of that name that lacks the server's files was not made
    // by this version of the script (which unpacks aside and renames only a complete server).
    throw new StackError(
      `The Keycloak cache folder ${path.relative(process.cwd(), home) || home} is incomplete (an interrupted download or unpack): ` +
        `delete that folder and start again, and the server is fetched anew.`,
    );
  }
  assertMavenInstalled();
  mkdirSync(config.cacheDir, { recursive: true });
  progress(`fetching Keycloak ${config.keycloakVersion} from Maven Central (once; cached in keycloak/.cache)…`);
  const artifact = `org.keycloak:keycloak-quarkus-dist:${config.keycloakVersion}:zip`;
  // Unpacked aside, then renamed: an interrupted fetch (Ctrl-C, a full disk) leaves only a
  // `.partial-…` folder, which the next fetch removes, never a half server under the final name.
  const staging = path.join(config.cacheDir, `.partial-${config.keycloakVersion}`);
  rmSync(staging, { recursive: true, force: true });
  // Without a POM the plugin writes "already unpacked" markers under `${project.basedir}/target/` of
  // the working directory, and a stale marker makes it skip the unpack (a marker once committed to
  // this repository broke every fresh clone): run it in a scratch folder removed afterwards.
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'keycloak-fetch-'));
  const args = [
    '-B',
    '--no-transfer-progress',
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack',
    `-Dartifact=${artifact}`,
    `-DoutputDirectory=${staging}`,
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
      rmSync(staging, { recursive: true, force: true });
      throw error instanceof StackError ? error : new StackError(`Maven could not fetch ${artifact}: ${error.message}`);
    })
    .finally(() => rmSync(workDir, { recursive: true, force: true }));
  const unpacked = path.join(staging, `keycloak-${config.keycloakVersion}`);
  if (!isCompleteDistribution(unpacked)) {
    rmSync(staging, { recursive: true, force: true });
    throw new StackError(
      `Maven reported success but the unpacked server lacks bin/kc.sh or lib/quarkus-run.jar: start again, and if it ` +
        `happens again delete the artifact from ~/.m2/repository/org/keycloak/keycloak-quarkus-dist/ (Maven said: ${lastLines(String(output), 1)}).`,
    );
  }
  renameSync(unpacked, home);
  rmSync(staging, { recursive: true, force: true });
  return home;
}

/**
 * Whether a folder holds a whole server: the launcher and the Quarkus runner, which the zip holds
 * last of all (`lib/`), so a half-unpacked folder lacks at least the runner.
 * @param {string} home
 */
export function isCompleteDistribution(home) {
  return existsSync(path.join(home, 'bin', 'kc.sh')) && existsSync(path.join(home, 'lib', 'quarkus-run.jar'));
}

/**
 * Whether the distribution of the configured version is already unpacked in the cache.
 * @param {ReturnType<typeof stackConfig>} config
 */
export function isDistributionCached(config) {
  return isCompleteDistribution(path.join(config.cacheDir, `keycloak-${config.keycloakVersion}`));
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
  const byteBuddy = /Java (\d+) \(\d+\) is not supported by the current version of Byte Buddy which officially supports Java (\d+)/.exec(stripAnsi(log));
  if (byteBuddy) {
    return (
      `${what} because this Keycloak version does not run on Java ${byteBuddy[1]} (its Byte Buddy supports up to Java ${byteBuddy[2]}): ` +
      `set JAVA_HOME to a JDK from 17 to ${byteBuddy[2]}, or choose a newer KEYCLOAK_VERSION; the full log is ${logFile}.`
    );
  }
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
  const java = findJava(config.keycloakVersion);
  const home = path.join(config.cacheDir, `keycloak-${config.keycloakVersion}`);
  if (!isDistributionCached(config)) {
    if (existsSync(home)) await ensureDistribution(config); // fails with the sentence about the incomplete folder
    assertMavenInstalled();
  }
  checkRealmFile(config);
  return java;
}

/** @param {string} text @param {number} n */
function lastLines(text, n) {
  return text.trim().split('\n').slice(-n).join('\n');
}

/**
 * A Keycloak this stack did not start never imported the realm with this stack's dev keys: each
 * signed-JWT client of the realm file (`client-jwt`) gets the stack's dev public key there, added to
 * the client's JWKS beside the keys it holds (so stacks that share one Keycloak, each with its own
 * state folder and key, all keep working), through the admin API as the dev admin. A client that is
 * missing there or does not authenticate with a signed JWT fails with one sentence.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} progress
 */
export async function publishDevPublicKeys(config, progress = () => {}) {
  const clientIds = signedJwtClients(JSON.parse(readFileSync(config.realmFile, 'utf8')));
  if (clientIds.length === 0) return;
  // The admin client speaks through the library (dist/), which may not be built yet.
  buildLibrary();
  const { createAdminClient } = await import('../scripts/lib/keycloak-admin.mjs');
  const admin = await createAdminClient({ keycloakUrl: config.keycloakUrl, realm: config.realm, user: config.adminUser, password: config.adminPassword });
  for (const clientId of clientIds) {
    const client = await admin.client(clientId);
    const where = `the Keycloak at ${config.keycloakUrl} (realm ${config.realm})`;
    if (!client) throw new StackError(`${where} has no client "${clientId}": import keycloak/realm-microservices.json there.`);
    if (client.clientAuthenticatorType !== 'client-jwt') {
      throw new StackError(
        `${clientId} authenticates with "${client.clientAuthenticatorType}" in ${where}, not with a signed JWT (client-jwt) as keycloak/realm-microservices.json says: import that realm file again.`,
      );
    }
    const { publicJwk } = devClientKey(config.stateDir, clientId);
    /** @type {Record<string, unknown>[]} */
    let keys = [];
    try {
      if (client.attributes?.['use.jwks.string'] === 'true') keys = JSON.parse(client.attributes['jwks.string'] ?? '{}').keys ?? [];
    } catch {
      keys = []; // an unreadable JWKS is replaced by this stack's key
    }
    if (keys.some((key) => key.kid === publicJwk.kid)) continue;
    const answer = await admin.request('PUT', `/${encodeURIComponent(config.realm)}/clients/${client.id}`, {
      ...client,
      attributes: { ...client.attributes, 'use.jwks.string': 'true', 'jwks.string': JSON.stringify({ keys: [...keys, publicJwk] }) },
    });
    if (answer.status !== 204) throw new StackError(`${where} refused this stack's dev public key of ${clientId} (HTTP ${answer.status}).`);
    progress(`gave ${clientId} this stack's dev public key (kid ${publicJwk.kid}) beside the ${keys.length} it had`);
  }
}

/**
 * Starts Keycloak in dev mode on loopback with the realm imported and the hostname pinned, then waits
 * until it is ready. When KEYCLOAK_URL names an external server, only readiness is checked and the
 * stack's dev public keys are published there ({@link publishDevPublicKeys}).
 * @param {ReturnType<typeof stackConfig>} config
 * @param {(line: string) => void} [progress]
 */
export async function startKeycloak(config, progress = () => {}) {
  if (config.externalKeycloakUrl) {
    progress(`using the Keycloak at ${config.externalKeycloakUrl} (KEYCLOAK_URL)`);
    await waitForRealm(config, 60_000);
    await publishDevPublicKeys(config, progress);
    return;
  }
  const { javaHome, major } = await checkKeycloakPrerequisites(config);
  const home = await ensureDistribution(config, progress);
  // Exactly the realm files of keycloak/: a realm file removed from there must not linger in the cache.
  const importDir = path.join(home, 'data', 'import');
  rmSync(importDir, { recursive: true, force: true });
  mkdirSync(importDir, { recursive: true });
  for (const file of config.realmFiles) {
    // A client that authenticates with a signed JWT gets the stack's dev public key (scripts/lib/dev-keys.mjs).
    const realm = JSON.parse(readFileSync(file, 'utf8'));
    if (signedJwtClients(realm).length === 0) copyFileSync(file, path.join(importDir, path.basename(file)));
    else {
      const withKeys = withDevPublicKeys(realm, (clientId) => devClientKey(config.stateDir, clientId));
      writeFileSync(path.join(importDir, path.basename(file)), JSON.stringify(withKeys, null, 2));
    }
  }
  progress(`starting Keycloak ${config.keycloakVersion} on Java ${major} (first start builds the server, ~1 min)…`);
  const service = startDetached({
    name: 'keycloak',
    command: path.join(home, 'bin', 'kc.sh'),
    args: [
      'start-dev',
      `--http-host=${config.host}`,
      ...listenerArgs(config),
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
  // Over TLS this process trusts the stack's own authority explicitly (it started before it existed).
  const ca = config.keycloakTls && !config.externalKeycloakUrl ? localCa(config) : undefined;
  await waitFor(
    `Keycloak realm "${config.realm}" at ${config.keycloakUrl}`,
    () => httpOk(`${config.keycloakUrl}/realms/${config.realm}/.well-known/openid-configuration`, ca ? { ca } : {}),
    { timeoutMs },
  );
}

/**
 * Where Keycloak listens: plain HTTP on the stack's port, or with `KEYCLOAK_TLS=on` HTTPS only, with
 * the certificate the stack makes (scripts/lib/tls.mjs). The management port (health, metrics)
 * stays plain HTTP on loopback either way.
 * @param {ReturnType<typeof stackConfig>} config
 */
export function listenerArgs(config) {
  if (!config.keycloakTls) return [`--http-port=${config.keycloakPort}`];
  const files = ensureLocalCertificates(config);
  return [
    // start-dev keeps a plain listener whatever http-enabled says: give it a port the OS picks.
    '--http-port=0',
    `--https-port=${config.keycloakPort}`,
    `--https-certificate-file=${files.serverCert}`,
    `--https-certificate-key-file=${files.serverKey}`,
    '--http-management-scheme=http',
  ];
}

/**
 * Stops the Keycloak that `startKeycloak` started, if any.
 * @param {ReturnType<typeof stackConfig>} config
 * @param {{ report?: (line: string) => void }} [options]
 */
export function stopKeycloak(config, options = {}) {
  return stopService('keycloak', config.stateDir, options);
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
