import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackConfig } from '../../../scripts/lib/config.mjs';
import {
  checkRealmFile,
  chooseJava,
  compareVersions,
  ensureDistribution,
  isDistributionCached,
  keycloakFailureMessage,
  mavenFailureMessage,
  parseJavaVersion,
  supportedJava,
} from '../../../keycloak/keycloak.mjs';
import { thrownBy } from '../helpers/errors';

/** A line of Keycloak's log as 26.7 writes it when `kc.sh start-dev` fails. */
const kcError = (text: string) =>
  `2026-11-25 17:20:06,286 ERROR [org.keycloak.quarkus.runtime.cli.ExecutionExceptionHandler] (main) ${text}`;
const startFailed = kcError('ERROR: Failed to start server in (development) mode');
const moreDetails = kcError("For more details run the same command passing the '--verbose' option.");
const facts = { exit: 'exit code 1', logFile: '/repo/.stack/keycloak.log', realmFile: `${process.cwd()}/keycloak/realm.json`, timeoutSeconds: 240 };

describe('keycloakFailureMessage', () => {
  it('names a failed realm import and quotes Keycloak’s specific reason', () => {
    const log = [
      '2026-11-25 17:20:05,000 INFO  [org.keycloak] (main) starting',
      startFailed,
      kcError('ERROR: Failed to run import'),
      kcError('ERROR: Cannot deserialize value of type `java.lang.Integer` from String "five minutes"'),
      moreDetails,
    ].join('\n');

    const message = keycloakFailureMessage({ ...facts, log });

    expect(message).toBe(
      'Keycloak stopped before it became ready (exit code 1) because the import of keycloak/realm.json failed: ' +
        'Cannot deserialize value of type `java.lang.Integer` from String "five minutes"; the full log is /repo/.stack/keycloak.log.',
    );
  });

  it('quotes the most specific error when Keycloak does not say it was the import', () => {
    const log = [startFailed, kcError('ERROR: Unknown client specification in scope mappings: service-x'), moreDetails].join('\n');

    const message = keycloakFailureMessage({ ...facts, log });

    expect(message).toContain('Keycloak said "Unknown client specification in scope mappings: service-x"');
    expect(message).toContain('keycloak/realm.json');
    expect(message).not.toContain('\n');
  });

  it('reports a timeout without an error line as such, with the log file', () => {
    const message = keycloakFailureMessage({ ...facts, exit: undefined, log: 'INFO only\n' });

    expect(message).toBe('Keycloak did not become ready within 240 s; the full log is /repo/.stack/keycloak.log.');
  });
});

describe('mavenFailureMessage', () => {
  const header = '\u001b[0m[INFO] BUILD FAILURE\n[INFO] ------------------------------------------------------------------------\n';

  it('says the version is not served when Maven cannot find the artifact', () => {
    const log =
      header +
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack (default-cli) on project ' +
      'standalone-pom: Unable to find/resolve artifact. Could not find artifact org.keycloak:keycloak-quarkus-dist:zip:26.99.0 ' +
      'in central (https://maven.example.test/maven2) -> [Help 1]\n[ERROR] \n[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.\n';

    const message = mavenFailureMessage('26.99.0', log);

    expect(message).toBe(
      'Keycloak 26.99.0 is not in the Maven repository (org.keycloak:keycloak-quarkus-dist:26.99.0:zip was not found): ' +
        'set KEYCLOAK_VERSION to a served version (26.7.3 is the tested one) or KEYCLOAK_URL to an already running Keycloak.',
    );
  });

  it('points at the network and the Maven settings when the repository cannot be reached', () => {
    const log =
      header +
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack (default-cli) on project ' +
      'standalone-pom: Could not transfer artifact org.keycloak:keycloak-quarkus-dist:zip:26.7.3 from/to central: Unknown host -> [Help 1]\n';

    const message = mavenFailureMessage('26.7.3', log);

    expect(message).toMatch(/^Maven could not reach its repository to fetch org\.keycloak:keycloak-quarkus-dist:26\.7\.3:zip \(Could not transfer/);
    expect(message).toContain('~/.m2/settings.xml');
    expect(message).not.toContain('\n');
  });

  it('quotes Maven’s first error line, without the goal prefix or the help link, otherwise', () => {
    const log = `${header}[ERROR] Failed to execute goal x:y:1:unpack (default-cli) on project standalone-pom: Disk full -> [Help 1]\n`;

    expect(mavenFailureMessage('26.7.3', log)).toBe('Maven could not fetch org.keycloak:keycloak-quarkus-dist:26.7.3:zip: Disk full');
  });
});

describe('checkRealmFile', () => {
  const config = { realmFile: `${process.cwd()}/keycloak/realm.json`, realm: 'microservices' };

  it('accepts a realm file that defines the expected realm', () => {
    expect(() => checkRealmFile(config, '{"realm": "microservices"}')).not.toThrow();
  });

  it('names the line and column of a JSON syntax error', () => {
    const text = '{\n  "realm": "microservices",\n  "accessTokenLifespan": 300,,\n}';

    expect(() => checkRealmFile(config, text)).toThrow(/^The realm file keycloak\/realm\.json is not valid JSON at line 3, column 30 /);
  });

  it('names both realms when the file defines another one than the stack expects', () => {
    expect(() => checkRealmFile(config, '{"realm": "shop"}')).toThrow(
      'The realm file keycloak/realm.json defines realm "shop" but the stack expects "microservices": rename one of them (KEYCLOAK_REALM sets the expected name).',
    );
  });
});

describe('parseJavaVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "25" 2025-09-16', 25],
    ['java version "1.8.0_392"', 8],
    ['no version here', undefined],
  ])('reads %s as %s', (text, major) => {
    expect(parseJavaVersion(text)).toBe(major);
  });
});

describe('keycloakFailureMessage on a JDK too new for the version', () => {
  it('names the Java versions and the fix in one sentence', () => {
    const log = [
      'ERROR: Failed to run \'build\' command.',
      'ERROR: io.quarkus.builder.BuildException: Build failure: Build failed due to errors',
      '\t[error]: Build step io.quarkus.hibernate.orm.deployment.HibernateOrmProcessor#pregenProxies threw an exception: java.lang.IllegalArgumentException: Java 25 (69) is not supported by the current version of Byte Buddy which officially supports Java 24 (68) - update Byte Buddy or set net.bytebuddy.experimental as a VM property',
    ].join('\n');

    const message = keycloakFailureMessage({ ...facts, log });

    expect(message).toBe(
      'Keycloak stopped before it became ready (exit code 1) because this Keycloak version does not run on Java 25 (its Byte Buddy supports up to Java 24): ' +
        'set JAVA_HOME to a JDK from 17 to 24, or choose a newer KEYCLOAK_VERSION; the full log is /repo/.stack/keycloak.log.',
    );
  });
});

describe('chooseJava', () => {
  const jdk17 = { javaHome: '/usr/lib/jvm/java-17-openjdk-amd64', major: 17 };
  const jdk25 = { javaHome: '/usr/lib/jvm/temurin-25-jdk-amd64', major: 25 };
  const broken = { javaHome: '/usr/lib/jvm/broken', major: undefined };

  it('picks the newest JDK for a Keycloak that runs on it (26.7.x on Java 25)', () => {
    expect(chooseJava({ keycloakVersion: '26.7.3', javaHomeEnv: undefined, candidates: [jdk17, jdk25, broken] })).toEqual(jdk25);
  });

  it('skips JDKs newer than the version supports (26.2.5 fails on Java 25 in Byte Buddy)', () => {
    expect(chooseJava({ keycloakVersion: '26.2.5', javaHomeEnv: undefined, candidates: [jdk25, jdk17] })).toEqual(jdk17);
    expect(supportedJava('26.2.5')).toEqual({ min: 17, max: 24 });
    expect(supportedJava('26.4.7').max).toBe(Number.POSITIVE_INFINITY);
    expect(supportedJava('26.7.0').max).toBe(Number.POSITIVE_INFINITY);
  });

  it('lets JAVA_HOME win over a newer JDK', () => {
    const chosen = chooseJava({ keycloakVersion: '26.7.3', javaHomeEnv: jdk17.javaHome, candidates: [jdk17] });

    expect(chosen).toEqual(jdk17);
  });

  it('refuses a JAVA_HOME the version is known not to run on, in one sentence naming the range', () => {
    const refusal = <Error>thrownBy(() => chooseJava({ keycloakVersion: '26.2.5', javaHomeEnv: jdk25.javaHome, candidates: [jdk25] }));

    expect(refusal.message).toBe(
      'JAVA_HOME is Java 25, which Keycloak 26.2.5 does not run on (it needs Java 17 to 24): point JAVA_HOME at such a JDK or unset it to let the stack choose one.',
    );
  });

  it('refuses a JAVA_HOME that does not run', () => {
    const refusal = <Error>thrownBy(() => chooseJava({ keycloakVersion: '26.7.3', javaHomeEnv: '/nowhere', candidates: [{ javaHome: '/nowhere', major: undefined }] }));

    expect(refusal.message).toMatch(/^JAVA_HOME is \/nowhere, but \/nowhere\/bin\/java does not run: /);
  });

  it('says what was found and what is needed when no JDK fits', () => {
    const refusal = <Error>thrownBy(() => chooseJava({ keycloakVersion: '26.2.5', javaHomeEnv: undefined, candidates: [jdk25, broken] }));

    expect(refusal.message).toMatch(/^Keycloak 26\.2\.5 needs Java 17 to 24 and only Java 25 was found: install such a JDK/);
    expect(refusal.message).not.toContain('\n');
  });
});

describe('compareVersions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('26.10.0', '26.9.1')).toBeGreaterThan(0);
    expect(compareVersions('26.2.5', '26.7.0')).toBeLessThan(0);
    expect(compareVersions('26.7.0', '26.7')).toBe(0);
  });
});

describe('ensureDistribution with a half-unpacked cache folder', () => {
  it('says in one sentence what happened and what to do, and deletes nothing', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'keycloak-cache-'));
    try {
      const home = path.join(cacheDir, 'keycloak-26.7.3');
      mkdirSync(path.join(home, 'bin'), { recursive: true });
      writeFileSync(path.join(home, 'bin', 'kc.sh'), '#!/bin/sh\n'); // the launcher, but no lib/ yet
      const config = { ...stackConfig({}), cacheDir, keycloakVersion: '26.7.3' };

      const error = await ensureDistribution(config).then(
        () => undefined,
        (e: unknown) => e as Error,
      );

      expect(isDistributionCached(config)).toBe(false);
      expect(error?.message).toMatch(/^The Keycloak cache folder .*keycloak-26\.7\.3 is incomplete \(an interrupted download or unpack\): delete that folder and start again/);
      expect(error?.message).not.toContain('\n');
      expect(existsSync(path.join(home, 'bin', 'kc.sh'))).toBe(true);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
