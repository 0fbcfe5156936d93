// @ts-check
/**
 * What the mutation check of CI mutates and how it judges the result (scripts/mutation-ci.mjs,
 * docs/mutation.md): the library files a change touched, each held to the per-file goal.
 */

/** The files that decide on a token or a caller: each must score at least {@link FILE_GOAL} %. */
export const DECIDING_FILES = Object.freeze([
  'authorizer/handler.ts',
  'shared/bearer.ts',
  'shared/keycloak/introspection-check.ts',
  'shared/keycloak/jwt-check.ts',
  'shared/lambda/authorizer.ts',
  'shared/lambda/policy.ts',
  'shared/lambda/request-principal.ts',
  'shared/principal.ts',
  'shared/routes.ts',
  'shared/token-authority.ts',
]);

/** The score every mutated file must reach in CI, percent. */
export const FILE_GOAL = 95;

/**
 * Whether `file` (a path relative to the project root) is mutated at all: the library and the demo's authorizer.
 * @param {string} file
 */
export function isMutated(file) {
  return /^(shared|authorizer)\/.+\.ts$/.test(file) && !file.endsWith('.d.ts');
}

/**
 * The files to mutate for a change: every mutated source it touched, and the source of every unit test
 * it touched (tests mirror the sources: `test/unit/shared/x.test.ts` ↔ `shared/x.ts`), among `existing`.
 * @param {readonly string[]} changed paths the change touched, relative to the project root
 * @param {ReadonlySet<string>} existing the mutated sources that exist now
 * @returns {string[]} sorted, without duplicates
 */
export function filesToMutate(changed, existing) {
  const files = new Set();
  for (const file of changed) {
    const mirrored = /^test\/unit\/(.+)\.test\.ts$/.exec(file)?.[1];
    const source = mirrored === undefined ? file : `${mirrored}.ts`;
    if (isMutated(source) && existing.has(source)) files.add(source);
  }
  return [...files].sort();
}

/**
 * @typedef {{ killed: number, timedOut: number, survived: number, noCoverage: number, score: number }} FileScore
 * `score`: (killed + timed out) / (killed + timed out + survived + no coverage), percent; 100 with no mutant.
 */

/**
 * Scores per file from Stryker's mutant results (compile and runtime errors and ignored mutants do not count).
 * @param {readonly { fileName: string, status: string }[]} results
 * @param {string} root the project root, to make `fileName` relative
 * @returns {Map<string, FileScore>}
 */
export function scoresByFile(results, root) {
  /** @type {Map<string, FileScore>} */
  const scores = new Map();
  for (const { fileName, status } of results) {
    const file = fileName.startsWith(`${root}/`) ? fileName.slice(root.length + 1) : fileName;
    const score = scores.get(file) ?? { killed: 0, timedOut: 0, survived: 0, noCoverage: 0, score: 100 };
    if (status === 'Killed') score.killed++;
    else if (status === 'Timeout') score.timedOut++;
    else if (status === 'Survived') score.survived++;
    else if (status === 'NoCoverage') score.noCoverage++;
    scores.set(file, score);
  }
  for (const score of scores.values()) {
    const detected = score.killed + score.timedOut;
    const valid = detected + score.survived + score.noCoverage;
    score.score = valid === 0 ? 100 : (100 * detected) / valid;
  }
  return scores;
}
