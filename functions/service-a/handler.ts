/** Lambda entry point of service A: its dependencies are built once, at cold start. */
import { createLogger, createServiceMetrics, observeKeycloakRoundTrips, readMetricsNamespace } from 'keycloak-lambda-s2s/lambda';
import { createServiceADependencies, createServiceAHandler } from './service-a';

const logger = createLogger('service-a');
const metrics = createServiceMetrics({ service: 'service-a', namespace: readMetricsNamespace(process.env), logger });
const dependencies = createServiceADependencies(process.env, { onKeycloakRoundTrip: observeKeycloakRoundTrips(logger, metrics) });

export const handler = createServiceAHandler(() => dependencies, logger, metrics);
