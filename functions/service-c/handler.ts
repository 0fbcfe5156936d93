/** Lambda entry point of service C. */
import { createLogger, createServiceMetrics, readMetricsNamespace } from 'keycloak-lambda-s2s/lambda';
import { createServiceCHandler } from './service-c';

const logger = createLogger('service-c');
const metrics = createServiceMetrics({ service: 'service-c', namespace: readMetricsNamespace(process.env), logger });

export const handler = createServiceCHandler({ logger, metrics });
