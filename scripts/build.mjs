// @ts-check
/**
 * `npm run build` when `dist/` is older than the library's sources: the developer tools (demo,
 * doctor, bench) call Keycloak through the library by its package name, which resolves to `dist/`.
 */
import { buildLibrary } from './lib/build.mjs';
import { StackError } from './lib/proc.mjs';

try {
  if (buildLibrary()) console.log('built the library (dist/)');
} catch (error) {
  console.error(error instanceof StackError ? error.message : error);
  process.exit(1);
}
