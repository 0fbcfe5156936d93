/** Bench only: the authorizer of the original strategy (introspection on every request). */
import { createAuthorizerHandler, createServiceRuntime, readAuthorizerSettings } from 'keycloak-lambda-s2s/lambda';
import { routes } from '../../functions/routes';
import { assertBenchOnly } from '../guard';
import { benchObservability } from '../observability';
import { introspectEveryRequest } from './strategy';

assertBenchOnly(process.env);
const settings = readAuthorizerSettings(process.env, routes);
const { logger, metrics, onKeycloakRoundTrip } = benchObservability(`authorizer-${settings.service}`, process.env);
const { identity } = createServiceRuntime(settings, { onKeycloakRoundTrip });

export const handler = createAuthorizerHandler({ routes: settings.routes, authority: introspectEveryRequest(identity), logger, metrics, now: Date.now });
