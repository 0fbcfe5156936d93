/**
 * keycloak-lambda-s2s/lambda — the AWS glue around the core: the TOKEN authorizer factory and its
 * cache-safe policy, the principal a handler reads from the authorizer context (and the token
 * binding that ties it to the request's token), the service-handler wrapper with its one error →
 * status mapping, the downstream caller, settings read from the environment, the logger and the
 * metrics (Powertools, CloudWatch EMF).
 * @packageDocumentation
 */
export {
  createAuthorizer,
  createAuthorizerDependencies,
  createAuthorizerHandler,
  type AuthorizerDependencies,
  type AuthorizerOverrides,
  type CreateAuthorizerOptions,
  type TokenAuthorizerHandler,
} from './authorizer';
export {
  readAuthorizerSettings,
  readCallerSettings,
  readMetricsNamespace,
  readServiceSettings,
  type AuthorizerSettings,
  type CallerSettings,
  type Env,
  type KeycloakSettings,
  type ServiceSettings,
} from './config';
export {
  createServiceCaller,
  expectSuccess,
  postWithFreshTokenOn401,
  type ServiceAnswer,
  type ServiceCaller,
  type ServiceCallerOptions,
  type TokenSource,
} from './downstream';
export { correlationIdOf, handleRequest, type HandleRequestOptions, type RequestScope } from './handler';
export { MAX_BODY_BYTES, errorResponse, header, json, jsonBody } from './http';
export { createLogger, logKeycloakRoundTrips, type Logger } from './logger';
export {
  DEFAULT_METRICS_NAMESPACE,
  METRIC,
  createServiceMetrics,
  observeKeycloakRoundTrips,
  type ServiceMetrics,
  type ServiceMetricsOptions,
} from './metrics';
export { apiStagePrefix, buildPolicy, resourcePattern } from './policy';
export { authorizedBearerToken, principalFromContext } from './request-principal';
export { createServiceRuntime, type RuntimeOverrides, type ServiceRuntime } from './runtime';
