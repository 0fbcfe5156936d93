// @ts-check
/**
 * `npm run test:tls`: the chain, the delegation flow with its exchanges, the exchange refusals and the
 * Keycloak outage, with Keycloak serving HTTPS only (`KEYCLOAK_TLS=on`: a certificate authority the
 * stack makes at start, trusted by the functions through `NODE_EXTRA_CA_CERTS`), and the proof that a
 * function that does not trust the certificate fails closed. On a stack of its own (free ports).
 */
import path from 'node:path';
import { projectRoot } from './lib/config.mjs';
import { runSubsetOnOwnStack } from './lib/subset.mjs';

/** The files of the TLS subset, in the order they run: the outage test restarts Keycloak, so it runs last. */
export const TLS_SUBSET = [
  'test/integration/tls.test.ts',
  'test/integration/chain.test.ts',
  'test/integration/delegation.test.ts',
  'test/integration/security/real-tokens.test.ts',
  'test/integration/faults/keycloak-outage.test.ts',
];

await runSubsetOnOwnStack({
  label: 'tls',
  files: TLS_SUBSET,
  env: { KEYCLOAK_TLS: 'on' },
  stateDir: path.join(projectRoot, '.stack', 'tls'),
  inOrder: true,
});
