import { defineConfig } from 'vitest/config';
import { libraryAlias, unitTest } from './vitest.config.mts';

/**
 * The unit project alone, for Stryker (`npm run test:mutation`): its vitest runner has no project filter, and the
 * integration, package and deploy projects need the real stack or a build. Without `test/unit/scripts/`: those test
 * the tooling, not the library, and the API reference check reads the sources, which Stryker has instrumented.
 */
export default defineConfig({
  resolve: { alias: libraryAlias },
  test: { ...unitTest, exclude: ['test/unit/scripts/**', 'node_modules/**'] },
});
