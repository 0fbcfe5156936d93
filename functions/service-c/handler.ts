/** Lambda entry point of service C. */
import { createLogger } from 'keycloak-lambda-s2s/lambda';
import { createServiceCHandler } from './service-c';

export const handler = createServiceCHandler({ logger: createLogger('service-c') });
