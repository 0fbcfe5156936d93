/**
 * TEST ONLY — never deployed. The kit's authorizer, except that it never answers the identity
 * `Bearer hang`: serverless offline then ends the invocation at the function's timeout. A second
 * offline instance serves it as authorizer-b (TEST_ONLY_AUTHORIZER_B_HANDLER, serverless.yml) for
 * local-gateway.test.ts, which checks that the instance that timed out is replaced, as Lambda does,
 * instead of swallowing every later request.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { handler as kitAuthorizer } from '../../../authorizer/handler';

/** The identity it never answers (local-gateway.test.ts sends it as is). */
const HANGING_IDENTITY = 'Bearer hang';

export function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  if (event.authorizationToken === HANGING_IDENTITY) return new Promise<never>(() => {});
  return kitAuthorizer(event);
}
