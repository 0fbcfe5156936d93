/**
 * The bench's reference strategies (`npm run bench`, scripts/bench.mjs) are handler entries of
 * their own, built from the same library and the demo's app code, selected only at stage `bench`
 * of serverless offline (serverless.yml `custom.handlers`). Production entries have no switch.
 * Each bench entry refuses to load anywhere else, so a bench handler can never be deployed.
 */
import { ConfigError } from 'keycloak-lambda-s2s';

/** Throws unless this process is serverless offline at stage bench. */
export function assertBenchOnly(env: Record<string, string | undefined>): void {
  if (env.IS_OFFLINE !== 'true' || env.SERVERLESS_STAGE !== 'bench') {
    throw new ConfigError('Bench-only handler: it runs only under serverless offline at stage bench (npm run bench)');
  }
}
