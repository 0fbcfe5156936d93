/** Bench only: the authorizer of the original strategy (introspection on every request). */
import { createAuthorizerHandler, createLogger, createServiceRuntime, readAuthorizerSettings } from 'keycloak-lambda-s2s/lambda';
import { routes } from '../../functions/routes';
import { assertBenchOnly } from '../guard';
import { introspectEveryRequest } from './strategy';

assertBenchOnly(process.env);
const settings = readAuthorizerSettings(process.env, routes);
const logger = createLogger(`authorizer-${settings.service}`);
const { identity } = createServiceRuntime(settings, { onKeycloakRoundTrip: (kind) => logger.debug('keycloak round-trip', { kind }) });

export const handler = createAuthorizerHandler({ routes: settings.routes, authority: introspectEveryRequest(identity), logger, now: Date.now });
