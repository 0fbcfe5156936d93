/** Bench only: service A without auth (calls B with the placeholder). */
import { createServiceADependencies, createServiceAHandler } from '../../functions/service-a/service-a';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { placeholderExchanges, placeholderTokens } from './no-auth';

assertBenchOnly(process.env);
const { logger, metrics, onKeycloakRoundTrip } = benchObservability('service-a', process.env);
const dependencies = { ...createServiceADependencies(process.env, { onKeycloakRoundTrip }), ownTokens: placeholderTokens, exchangedTokens: placeholderExchanges };

export const handler = createServiceAHandler(() => dependencies, logger, metrics);
