// @ts-check
/**
 * `npm run test:mutation:ci`: the mutation check CI runs (docs/mutation.md). Stryker over the library
 * files the change touched — those that differ from the first parent of HEAD (the previous commit of
 * main, or the base a merge brought its branch onto; `MUTATION_BASE` names another base), counting a
 * unit test as its source — with no incremental file, so a fresh clone gives the same answer as a
 * developer's machine. Fails when any of those files scores below 95 %; passes at once when the change
 * touched none. Without a base to compare with (a clone holding one commit), it mutates the files that
 * decide on a token or a caller.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './lib/config.mjs';
import { DECIDING_FILES, FILE_GOAL, filesToMutate, isMutated, scoresByFile } from './lib/mutation-scope.mjs';

/** `--deciding-only`: mutate only the changed files that decide on a token or a caller (as `npm test` does). */
const decidingOnly = process.argv.includes('--deciding-only');

/** @param {string[]} args */
function git(args) {
  const result = spawnSync('git', args, { cwd: projectRoot, encoding: 'utf8' });
  return result.status === 0 ? result.stdout : undefined;
}

/** The files to mutate, and why those. */
function selection() {
  const existing = new Set((git(['ls-files', 'shared', 'authorizer']) ?? '').split('\n').filter(isMutated));
  const base = process.env.MUTATION_BASE || 'HEAD^1';
  if (git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`]) === undefined) {
    return { files: DECIDING_FILES.filter((f) => existing.has(f)), reason: `no ${base} to compare with: the files that decide on a token or a caller` };
  }
  // Against the working tree: committed and uncommitted changes alike (CI's tree is clean).
  const changed = (git(['diff', '--name-only', '--no-renames', base]) ?? '').split('\n').filter(Boolean);
  const files = filesToMutate(changed, existing);
  if (decidingOnly) {
    // `npm test` (CI): only the files that decide on a token or a caller, which bounds its cost (about 10
    // minutes when every one of them changed); the rest of a change is for the full command.
    return { files: files.filter((f) => DECIDING_FILES.includes(f)), reason: `the files that decide on a token or a caller changed since ${base}` };
  }
  return { files, reason: `the library files changed since ${base}` };
}

async function main() {
  const { files, reason } = selection();
  if (files.length === 0) {
    console.log(`mutation check: ${reason}: none, nothing to mutate.`);
    return 0;
  }
  console.log(`mutation check: ${reason}:\n  ${files.join('\n  ')}`);
  const { Stryker } = await import('@stryker-mutator/core');
  const started = Date.now();
  const results = await new Stryker({
    configFile: 'stryker.config.mjs',
    mutate: files,
    incremental: false,
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: 'reports/mutation-ci/mutation.html' },
    jsonReporter: { fileName: 'reports/mutation-ci/mutation.json' },
  }).runMutationTest();
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const scores = scoresByFile(results, projectRoot);
  const below = [...scores].filter(([, s]) => s.score < FILE_GOAL);
  console.log(`\nmutation check (${minutes} min), goal ${FILE_GOAL} % per file:`);
  for (const [file, s] of scores) {
    console.log(`  ${s.score < FILE_GOAL ? 'BELOW' : 'ok   '} ${s.score.toFixed(1).padStart(5)} %  ${file} (${s.survived} survived, ${s.noCoverage} no coverage)`);
  }
  if (below.length > 0) {
    console.log(`\n${below.length} file(s) below ${FILE_GOAL} %: reports/mutation-ci/mutation.html shows each surviving mutant.`);
    return 1;
  }
  return process.exitCode && process.exitCode !== 0 ? Number(process.exitCode) : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
