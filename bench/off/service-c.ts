/** Bench only: service C without auth (no authorizer ran). */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { routes } from '../../functions/routes';
import { createServiceCHandler } from '../../functions/service-c/service-c';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { withPlaceholderContext } from './no-auth';

assertBenchOnly(process.env);
const { logger, metrics } = benchObservability('service-c', process.env);
const serve = createServiceCHandler({ logger, metrics });

// Lambda's context passes through, as to the production entry: the handler adds it to its log lines.
export const handler = (event: APIGatewayProxyEvent, context?: Context) => serve(withPlaceholderContext(event, routes['service-c'].compute), context);
