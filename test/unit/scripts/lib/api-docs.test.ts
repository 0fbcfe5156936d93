import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectApi, renderApi } from '../../../../scripts/lib/api-docs.mjs';
import { projectRoot } from '../../../../scripts/lib/config.mjs';
import * as core from 'keycloak-lambda-s2s';
import * as lambda from 'keycloak-lambda-s2s/lambda';

const api = collectApi();

describe('the API reference (docs/api.md)', () => {
  it('is what `npm run docs:api` generates from the code today', () => {
    // Act
    const written = readFileSync(path.join(projectRoot, 'docs', 'api.md'), 'utf8');

    // Assess
    expect(written, 'docs/api.md is stale: run `npm run docs:api`').toBe(renderApi(api));
  });

  it('documents every export with JSDoc', () => {
    // Act
    const undocumented = api.flatMap(({ entries }) => entries.filter((entry) => !entry.summary).map((entry) => entry.name));

    // Assess
    expect(undocumented).toEqual([]);
  });

  it('lists every runtime export of both entry points, and only those', () => {
    // Prepare
    const [coreApi, lambdaApi] = api;
    const runtime = (entries: { name: string; kind: string }[] = []) =>
      entries.filter((entry) => !['interface', 'type'].includes(entry.kind)).map((entry) => entry.name).sort();

    // Assess
    expect(runtime(coreApi?.entries)).toEqual(Object.keys(core).sort());
    expect(runtime(lambdaApi?.entries)).toEqual(Object.keys(lambda).sort());
  });
});
