/**
 * TEST ONLY — never deployed. The bug class API Gateway's authorizer cache punishes: a policy that
 * allows only the method ARN that triggered the authorizer. It wraps the kit's real authorizer and
 * narrows its Allow to `event.methodArn`, so each answer on its own is right, and a cached one is
 * wrong for every other route. A second offline instance serves it as authorizer-b
 * (TEST_ONLY_AUTHORIZER_B_HANDLER, serverless.yml) for cache-leak.test.ts.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Statement } from 'aws-lambda';
import { handler as kitAuthorizer } from '../../../authorizer/handler';

const allowsTrigger = (statement: Statement, methodArn: string) =>
  statement.Effect === 'Allow' && 'Resource' in statement && [statement.Resource ?? []].flat().includes(methodArn);

export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const result = await kitAuthorizer(event);
  const allowed = result.policyDocument.Statement.some((statement) => allowsTrigger(statement, event.methodArn));
  const statement: Statement = { Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: [event.methodArn] };
  return { ...result, policyDocument: { Version: '2012-10-17', Statement: [statement] } };
}
