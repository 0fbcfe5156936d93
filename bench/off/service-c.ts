/** Bench only: service C without auth (no authorizer ran). */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createLogger } from 'keycloak-lambda-s2s/lambda';
import { routes } from '../../functions/routes';
import { createServiceCHandler } from '../../functions/service-c/service-c';
import { assertBenchOnly } from '../guard';
import { withPlaceholderContext } from './no-auth';

assertBenchOnly(process.env);
const serve = createServiceCHandler({ logger: createLogger('service-c') });

export const handler = (event: APIGatewayProxyEvent) => serve(withPlaceholderContext(event, routes['service-c'].compute));
