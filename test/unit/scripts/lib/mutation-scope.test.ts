import { describe, expect, it } from 'vitest';
import { filesToMutate, scoresByFile } from '../../../../scripts/lib/mutation-scope.mjs';

const EXISTING = new Set(['shared/bearer.ts', 'shared/keycloak/jwt-check.ts', 'shared/lambda/policy.ts', 'authorizer/handler.ts']);

describe('filesToMutate', () => {
  it('takes the library and authorizer sources a change touched, and the source of each unit test it touched', () => {
    // Act
    const files = filesToMutate(
      [
        'shared/lambda/policy.ts',
        'test/unit/shared/keycloak/jwt-check.test.ts',
        'test/unit/authorizer/handler.test.ts',
        'functions/service-b/service-b.ts',
        'docs/mutation.md',
        'test/unit/helpers/jwt.ts',
        'test/integration/chain.test.ts',
      ],
      EXISTING,
    );

    // Assess
    expect(files).toEqual(['authorizer/handler.ts', 'shared/keycloak/jwt-check.ts', 'shared/lambda/policy.ts']);
  });

  it('leaves out a deleted source, a test without a source and a source named twice', () => {
    // Act
    const files = filesToMutate(['shared/gone.ts', 'test/unit/shared/gone.test.ts', 'shared/bearer.ts', 'test/unit/shared/bearer.test.ts'], EXISTING);

    // Assess
    expect(files).toEqual(['shared/bearer.ts']);
  });

  it('is empty for a change outside the library', () => {
    expect(filesToMutate(['README.md', 'functions/routes.ts'], EXISTING)).toEqual([]);
  });
});

describe('scoresByFile', () => {
  it('scores (killed + timed out) / (killed + timed out + survived + no coverage) per file, ignoring compile errors', () => {
    // Prepare
    const at = (file: string, status: string) => ({ fileName: `/repo/${file}`, status });
    const results = [
      at('shared/bearer.ts', 'Killed'),
      at('shared/bearer.ts', 'Killed'),
      at('shared/bearer.ts', 'Timeout'),
      at('shared/bearer.ts', 'Survived'),
      at('shared/bearer.ts', 'CompileError'),
      at('shared/routes.ts', 'NoCoverage'),
      at('shared/routes.ts', 'Killed'),
      at('shared/hash.ts', 'Ignored'),
    ];

    // Act
    const scores = scoresByFile(results, '/repo');

    // Assess
    expect(Object.fromEntries(scores)).toEqual({
      'shared/bearer.ts': { killed: 2, timedOut: 1, survived: 1, noCoverage: 0, score: 75 },
      'shared/routes.ts': { killed: 1, timedOut: 0, survived: 0, noCoverage: 1, score: 50 },
      'shared/hash.ts': { killed: 0, timedOut: 0, survived: 0, noCoverage: 0, score: 100 },
    });
  });
});
