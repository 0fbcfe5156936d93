import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../scripts/lib/config.mjs';

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  license: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string }> };
const directDependencies = Object.keys({ ...packageJson.dependencies, ...packageJson.devDependencies });

interface PackageRule {
  groupName?: string;
  matchPackageNames?: string[];
  matchDepNames?: string[];
}
const renovate = JSON.parse(read('renovate.json')) as { packageRules: PackageRule[] };

/** Renovate's glob for package names: `**` and `*` match any characters (names have no path levels to respect). */
const matches = (pattern: string, name: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '.*')}$`).test(name);
const groupOf = (name: string) =>
  renovate.packageRules.find(
    (rule) => rule.groupName && [...(rule.matchPackageNames ?? []), ...(rule.matchDepNames ?? [])].some((p) => matches(p, name)),
  )?.groupName;

/** Every installed version of a package, from the lockfile. */
const installedVersions = (name: string) =>
  new Set(
    Object.entries(lock.packages)
      .filter(([location]) => location === `node_modules/${name}` || location.endsWith(`/node_modules/${name}`))
      .map(([, entry]) => entry.version),
  );

describe('dependency updates (renovate.json)', () => {
  it.each([
    ['@aws-sdk/', 'AWS SDK'],
    ['@aws-lambda-powertools/', 'Powertools for AWS Lambda'],
  ])('puts every %s dependency of package.json in the group "%s"', (prefix, group) => {
    const names = directDependencies.filter((name) => name.startsWith(prefix));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(groupOf(name), name).toBe(group);
  });
});

describe('Powertools for AWS Lambda', () => {
  it('every Powertools dependency is pinned to one version', () => {
    const versions = new Set(
      directDependencies.filter((name) => name.startsWith('@aws-lambda-powertools/')).map((name) => packageJson.dependencies[name]),
    );
    expect([...versions]).toHaveLength(1);
  });

  it('the lockfile installs one copy of their commons package, so a bundle holds one', () => {
    expect([...installedVersions('@aws-lambda-powertools/commons')]).toHaveLength(1);
  });
});

describe('repository basics', () => {
  it('LICENSE holds the Apache License 2.0 that package.json declares', () => {
    expect(packageJson.license).toBe('Apache-2.0');
    expect(read('LICENSE')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(read('LICENSE')).toContain('END OF TERMS AND CONDITIONS');
  });

  it('the workflow for forks runs what CI runs: .ci/run', () => {
    expect(read('.github/workflows/ci.yml')).toMatch(/^\s+run: bash \.ci\/run$/m);
  });

  it('the changelog has an Unreleased section (Keep a Changelog)', () => {
    expect(read('CHANGELOG.md')).toMatch(/^## \[Unreleased\]$/m);
  });
});
