/** Bench only: service A under the original strategy (a new token, or a new exchange, per call). */
import { createServiceRuntime, readCallerSettings } from 'keycloak-lambda-s2s/lambda';
import { createServiceADependencies, createServiceAHandler } from '../../functions/service-a/service-a';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { clientCredentialsEveryCall, exchangeEveryCall } from './strategy';

assertBenchOnly(process.env);
const { logger, metrics, onKeycloakRoundTrip } = benchObservability('service-a', process.env);
const { identity } = createServiceRuntime(readCallerSettings(process.env, { 'service-b': 'SERVICE_B_URL' }), { onKeycloakRoundTrip });
const dependencies = {
  ...createServiceADependencies(process.env, { onKeycloakRoundTrip }),
  ownTokens: clientCredentialsEveryCall(identity),
  exchangedTokens: exchangeEveryCall(identity),
};

export const handler = createServiceAHandler(() => dependencies, logger, metrics);
