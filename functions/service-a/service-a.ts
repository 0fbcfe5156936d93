import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  CallerNotAllowedError,
  createClientCredentialsTokens,
  createExchangedTokens,
  type Clock,
  type ClientCredentialsTokens,
  type ExchangedTokens,
} from 'keycloak-lambda-s2s';
import {
  authorizedBearerToken,
  createLogger,
  createServiceCaller,
  createServiceRuntime,
  handleRequest,
  json,
  postWithFreshTokenOn401,
  principalFromContext,
  readCallerSettings,
  type Env,
  type Logger,
  type RuntimeOverrides,
  type ServiceCaller,
  type ServiceMetrics,
  type TokenSource,
} from 'keycloak-lambda-s2s/lambda';
import { routes } from '../routes';

const SERVICE_B = 'service-b';

/** The order A asks B to process (the original design's example). */
export const DEMO_ORDER = { order_id: 9876, amount: 100 } as const;

/** What A's handlers need; built once per container. */
export interface ServiceADependencies {
  /** A's own token (client credentials), cached until shortly before it expires. */
  ownTokens: Pick<ClientCredentialsTokens, 'get' | 'invalidate'>;
  /** Users' tokens exchanged for B. */
  exchangedTokens: Pick<ExchangedTokens, 'source'>;
  serviceB: ServiceCaller;
  now: Clock;
  /**
   * Whether `GET /run-service-b` (A calling B as itself) serves only IAM-signed callers. On every
   * deployed stage API Gateway already requires IAM there (serverless.yml `entryRouteAuthorizer`);
   * the handler checks it again, so a deployment that dropped the setting cannot turn A into a
   * confused deputy that lends its privileges to anyone. Off only under serverless offline.
   */
  ownCallRequiresIamCaller: boolean;
}

/** Builds A's dependencies from the environment (`SERVICE_B_URL` is B's base URL). */
export function createServiceADependencies(env: Env, overrides: RuntimeOverrides & { now?: Clock } = {}): ServiceADependencies {
  const settings = readCallerSettings(env, { [SERVICE_B]: 'SERVICE_B_URL' });
  const { identity } = createServiceRuntime(settings, overrides);
  const now = overrides.now ?? Date.now;
  const skewSeconds = settings.tokenExpirySkewSeconds;
  return {
    now,
    ownCallRequiresIamCaller: env.IS_OFFLINE !== 'true',
    ownTokens: createClientCredentialsTokens({ identity, skewSeconds, now }),
    exchangedTokens: createExchangedTokens({ identity, skewSeconds, maxEntries: settings.tokenCacheMaxEntries, now }),
    serviceB: createServiceCaller({
      service: SERVICE_B,
      baseUrl: settings.downstreamUrls[SERVICE_B],
      timeoutMs: settings.downstreamTimeoutMs,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    }),
  };
}

function callB(serviceB: ServiceCaller, token: TokenSource, correlationId: string): Promise<unknown> {
  return postWithFreshTokenOn401(serviceB, SERVICE_B, { path: routes[SERVICE_B].process.path, body: DEMO_ORDER, correlationId }, token);
}

/**
 * Service A. `GET /run-service-b`: calls B with A's own identity (client credentials).
 * `GET /run-service-b/as-user` (behind authorizer-a): exchanges the user's token for one meant for B,
 * so the user stays the subject while the audience narrows hop by hop.
 */
export function createServiceAHandler(dependencies: () => ServiceADependencies, logger: Logger = createLogger('service-a'), metrics?: ServiceMetrics) {
  const { runAsUser } = routes['service-a'];
  return (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> =>
    handleRequest(event, { logger, metrics, context }, async ({ correlationId }) => {
      const { ownTokens, exchangedTokens, serviceB, now, ownCallRequiresIamCaller } = dependencies();
      if (event.resource === runAsUser.path) {
        principalFromContext(event, runAsUser, now);
        const userToken = authorizedBearerToken(event);
        return json(200, await callB(serviceB, exchangedTokens.source(userToken, SERVICE_B), correlationId));
      }
      if (ownCallRequiresIamCaller && !event.requestContext?.identity?.userArn) {
        throw new CallerNotAllowedError('Only IAM-signed callers may make service A call service B as itself');
      }
      return json(200, await callB(serviceB, ownTokens, correlationId));
    });
}
