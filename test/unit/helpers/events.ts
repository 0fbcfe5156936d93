import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { sha256 } from 'keycloak-lambda-s2s';

/** A method ARN as API Gateway sends it to a TOKEN authorizer. */
export const API_STAGE_PREFIX = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev';
export const METHOD_ARN = `${API_STAGE_PREFIX}/POST/api/process`;

/** Options of {@link proxyEvent}. */
export interface ProxyEventOptions {
  httpMethod?: string;
  resource?: string;
  headers?: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
  /** The authorizer context API Gateway passes on (values as strings, like the real thing), as given. */
  authorizer?: Record<string, unknown> | null;
  /**
   * The token the authorizer decided on: its hash is added to `authorizer` as `tokenHash`, as the
   * authorizer sets it. Nothing is added unless a test names the token, so a test that forwards or
   * exchanges the request's token says which token the authorizer checked.
   */
  authorizedToken?: string;
}

/** The context with `tokenHash` of `token` added, as the authorizer does. */
function withTokenHash(authorizer: Record<string, unknown> | null, token: string | undefined): Record<string, unknown> | null {
  if (!authorizer || token === undefined) return authorizer;
  return { ...authorizer, tokenHash: sha256(token) };
}

/** A REST API (v1) proxy event with only what the handlers read filled in meaningfully. */
export function proxyEvent({
  httpMethod = 'POST',
  resource = '/api/process',
  headers = {},
  body = null,
  isBase64Encoded = false,
  authorizer = null,
  authorizedToken,
}: ProxyEventOptions = {}): APIGatewayProxyEvent {
  return {
    httpMethod,
    resource,
    path: resource,
    headers,
    multiValueHeaders: {},
    body,
    isBase64Encoded,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: withTokenHash(authorizer, authorizedToken),
      protocol: 'HTTP/1.1',
      httpMethod,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      path: `/dev${resource}`,
      stage: 'dev',
      requestId: 'request-1',
      requestTimeEpoch: 0,
      resourceId: 'resource-1',
      resourcePath: resource,
    },
  };
}

/** The authorizer context of a principal, as API Gateway hands it to the integration (strings). */
export function authorizerContext({
  sub = 'user-1',
  clientId = 'service-a',
  scope = 'profile email',
  exp,
  permissions,
}: {
  sub?: string;
  clientId?: string;
  scope?: string;
  exp: number;
  permissions: readonly string[];
}): Record<string, unknown> {
  return { principalId: sub, sub, clientId, scope, exp: String(exp), permissions: permissions.join(' '), integrationLatency: 0 };
}

/** A TOKEN authorizer event. */
export function tokenAuthorizerEvent(authorizationToken: string, methodArn: string = METHOD_ARN): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', authorizationToken, methodArn };
}

/** A Lambda invocation context as the runtime passes it (what the Powertools logger reads). */
export function lambdaContext(awsRequestId = 'c6af9ac6-7b61-11e6-9a41-93e812345678'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'keycloak-s2s-dev-serviceB',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:keycloak-s2s-dev-serviceB',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/keycloak-s2s-dev-serviceB',
    logStreamName: '2030/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 5000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
