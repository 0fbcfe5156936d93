// Mutation testing of the library (`shared/`) and the demo authorizer: `npm run test:mutation`. See docs/mutation.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.mts', related: true, pool: 'threads' },
  // The whole library and the demo's authorizer glue (docs/mutation.md lists what Stryker finds nothing to mutate in).
  mutate: ['shared/**/*.ts', 'authorizer/**/*.ts'],
  coverageAnalysis: 'perTest',
  // A re-run after a small change tests only the mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two cores on the project's machines; more only thrashes.
  concurrency: 2,
  // Below 95 % over what it mutated the command fails (docs/mutation.md gives the goals; `npm run test:mutation:ci`
  // holds each file to 95 %).
  thresholds: { high: 97, low: 95, break: 95 },
  tempDirName: '.stryker-tmp',
  ignorePatterns: [
    '.tools',
    '.stack',
    '.serverless',
    '.esbuild',
    '.build',
    'dist',
    'coverage',
    'bench/results',
    'keycloak/.cache',
    'reports',
  ],
  cleanTempDir: 'always',
};
