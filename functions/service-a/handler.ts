/** Lambda entry point of service A: its dependencies are built once, at cold start. */
import { createLogger, logKeycloakRoundTrips } from 'keycloak-lambda-s2s/lambda';
import { createServiceADependencies, createServiceAHandler } from './service-a';

const logger = createLogger('service-a');
const dependencies = createServiceADependencies(process.env, { onKeycloakRoundTrip: logKeycloakRoundTrips(logger) });

export const handler = createServiceAHandler(() => dependencies, logger);
