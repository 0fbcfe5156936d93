/** Lambda entry point of service B: its dependencies are built once, at cold start. */
import { createLogger, logKeycloakRoundTrips } from 'keycloak-lambda-s2s/lambda';
import { createServiceBDependencies, createServiceBHandler } from './service-b';

const logger = createLogger('service-b');
const dependencies = createServiceBDependencies(process.env, { onKeycloakRoundTrip: logKeycloakRoundTrips(logger) });

export const handler = createServiceBHandler(() => dependencies, logger);
