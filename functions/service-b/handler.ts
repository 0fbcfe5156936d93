/** Lambda entry point of service B: its dependencies are built once, at cold start. */
import { createLogger, createServiceMetrics, observeKeycloakRoundTrips, readMetricsNamespace } from 'keycloak-lambda-s2s/lambda';
import { createServiceBDependencies, createServiceBHandler } from './service-b';

const logger = createLogger('service-b');
const metrics = createServiceMetrics({ service: 'service-b', namespace: readMetricsNamespace(process.env), logger });
const dependencies = createServiceBDependencies(process.env, { onKeycloakRoundTrip: observeKeycloakRoundTrips(logger, metrics) });

export const handler = createServiceBHandler(() => dependencies, logger, metrics);
