import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The library by its package name, as the demo and the tests import it: its sources, not `dist/`. */
export const libraryAlias = {
  'keycloak-lambda-s2s/lambda': fileURLToPath(new URL('./shared/lambda/index.ts', import.meta.url)),
  'keycloak-lambda-s2s': fileURLToPath(new URL('./shared/index.ts', import.meta.url)),
};

/** The unit tests: injected fakes only. Also the whole of `vitest.mutation.config.mts` (Stryker runs only these). */
export const unitTest = {
  name: 'unit',
  include: ['test/unit/**/*.test.ts'],
  environment: 'node',
  restoreMocks: true,
};

export default defineConfig({
  resolve: { alias: libraryAlias },
  test: {
    projects: [
      { extends: true, test: unitTest },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // One stack, one realm: files run one after another (also when a file is run alone, without the npm script).
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'package',
          include: ['test/package/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'deploy',
          include: ['test/deploy/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
        },
      },
    ],
  },
});
