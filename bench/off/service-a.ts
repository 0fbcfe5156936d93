/** Bench only: service A without auth (calls B with the placeholder). */
import { createLogger } from 'keycloak-lambda-s2s/lambda';
import { createServiceADependencies, createServiceAHandler } from '../../functions/service-a/service-a';
import { assertBenchOnly } from '../guard';
import { placeholderExchanges, placeholderTokens } from './no-auth';

assertBenchOnly(process.env);
const dependencies = { ...createServiceADependencies(process.env), ownTokens: placeholderTokens, exchangedTokens: placeholderExchanges };

export const handler = createServiceAHandler(() => dependencies, createLogger('service-a'));
