/**
 * The demo's TOKEN authorizer, deployed once per protected service (serverless.yml sets
 * `SERVICE_NAME`): the library's authorizer with the demo's route table.
 */
import { createAuthorizer } from 'keycloak-lambda-s2s/lambda';
import { routes } from '../functions/routes';

/** Lambda entry point. */
export const handler = createAuthorizer({ routes, env: process.env });
