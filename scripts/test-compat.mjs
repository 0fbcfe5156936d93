// @ts-check
/**
 * `npm run test:compat [-- <keycloak version>]`: the named compatibility subset of the integration
 * tests — the chain, delegation, exchange refusals, the introspection audience rule (through the
 * doctor), the authorizer, a cold authorizer's first token — on a stack of the given Keycloak
 * version (default: the oldest 26.x this kit supports, 26.2.5), on free ports of its own so that a
 * running stack is neither reused nor disturbed. The stack is brought up for the run and taken
 * down afterwards (scripts/with-stack.mjs).
 * README "Keycloak versions" lists what each version passes.
 */
import path from 'node:path';
import { projectRoot } from './lib/config.mjs';
import { runSubsetOnOwnStack } from './lib/subset.mjs';

/** The files of the compatibility subset. */
export const COMPAT_SUBSET = [
  'test/integration/chain.test.ts',
  'test/integration/delegation.test.ts',
  'test/integration/authorizer.test.ts',
  'test/integration/security/real-tokens.test.ts',
  'test/integration/dx/doctor.test.ts',
  // A cold authorizer's first token is decided by introspection alone: every version must refuse a forged signature.
  'test/integration/security/cold-authorizer.test.ts',
];

const version = process.argv[2] || process.env.KEYCLOAK_VERSION || '26.2.5';
await runSubsetOnOwnStack({
  label: `compat ${version}`,
  files: COMPAT_SUBSET,
  env: { KEYCLOAK_VERSION: version },
  // One folder per version (its logs stay for a look after a failure), not one per set of free ports.
  stateDir: path.join(projectRoot, '.stack', `compat-${version}`),
});
