/** Bench only: service B without auth (no authorizer ran; calls C with the placeholder). */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { routeOf } from 'keycloak-lambda-s2s';
import { routes } from '../../functions/routes';
import { createServiceBDependencies, createServiceBHandler } from '../../functions/service-b/service-b';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { placeholderExchanges, withPlaceholderContext } from './no-auth';

assertBenchOnly(process.env);
const { logger, metrics, onKeycloakRoundTrip } = benchObservability('service-b', process.env);
const dependencies = { ...createServiceBDependencies(process.env, { onKeycloakRoundTrip }), exchangedTokens: placeholderExchanges };
const serve = createServiceBHandler(() => dependencies, logger, metrics);

const serviceB = routes['service-b'];

// Lambda's context passes through, as to the production entry: the handler adds it to its log lines.
export const handler = (event: APIGatewayProxyEvent, context?: Context) =>
  serve(withPlaceholderContext(event, routeOf(serviceB, event.httpMethod, event.resource) ?? serviceB.process), context);
