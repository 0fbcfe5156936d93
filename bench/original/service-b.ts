/** Bench only: service B under the original strategy (a new exchange per call). */
import { createLogger, createServiceRuntime, logKeycloakRoundTrips, readCallerSettings } from 'keycloak-lambda-s2s/lambda';
import { createServiceBDependencies, createServiceBHandler } from '../../functions/service-b/service-b';
import { assertBenchOnly } from '../guard';
import { exchangeEveryCall } from './strategy';

assertBenchOnly(process.env);
const logger = createLogger('service-b');
const onKeycloakRoundTrip = logKeycloakRoundTrips(logger);
const { identity } = createServiceRuntime(readCallerSettings(process.env, { 'service-c': 'SERVICE_C_URL' }), { onKeycloakRoundTrip });
const dependencies = { ...createServiceBDependencies(process.env, { onKeycloakRoundTrip }), exchangedTokens: exchangeEveryCall(identity) };

export const handler = createServiceBHandler(() => dependencies, logger);
