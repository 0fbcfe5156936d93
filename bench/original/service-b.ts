/** Bench only: service B under the original strategy (a new exchange per call). */
import { createServiceRuntime, readCallerSettings } from 'keycloak-lambda-s2s/lambda';
import { createServiceBDependencies, createServiceBHandler } from '../../functions/service-b/service-b';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { exchangeEveryCall } from './strategy';

assertBenchOnly(process.env);
const { logger, metrics, onKeycloakRoundTrip } = benchObservability('service-b', process.env);
const { identity } = createServiceRuntime(readCallerSettings(process.env, { 'service-c': 'SERVICE_C_URL' }), { onKeycloakRoundTrip });
const dependencies = { ...createServiceBDependencies(process.env, { onKeycloakRoundTrip }), exchangedTokens: exchangeEveryCall(identity) };

export const handler = createServiceBHandler(() => dependencies, logger, metrics);
