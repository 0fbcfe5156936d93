/** Bench only: service C without auth (no authorizer ran). */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { routes } from '../../functions/routes';
import { createServiceCHandler } from '../../functions/service-c/service-c';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { withPlaceholderContext } from './no-auth';

assertBenchOnly(process.env);
const { logger, metrics } = benchObservability('service-c', process.env);
const serve = createServiceCHandler({ logger, metrics });

export const handler = (event: APIGatewayProxyEvent) => serve(withPlaceholderContext(event, routes['service-c'].compute));
