/** Bench only: service A under the original strategy (a new token, or a new exchange, per call). */
import { createLogger, createServiceRuntime, logKeycloakRoundTrips, readCallerSettings } from 'keycloak-lambda-s2s/lambda';
import { createServiceADependencies, createServiceAHandler } from '../../functions/service-a/service-a';
import { assertBenchOnly } from '../guard';
import { clientCredentialsEveryCall, exchangeEveryCall } from './strategy';

assertBenchOnly(process.env);
const logger = createLogger('service-a');
const onKeycloakRoundTrip = logKeycloakRoundTrips(logger);
const { identity } = createServiceRuntime(readCallerSettings(process.env, { 'service-b': 'SERVICE_B_URL' }), { onKeycloakRoundTrip });
const dependencies = {
  ...createServiceADependencies(process.env, { onKeycloakRoundTrip }),
  ownTokens: clientCredentialsEveryCall(identity),
  exchangedTokens: exchangeEveryCall(identity),
};

export const handler = createServiceAHandler(() => dependencies, logger);
