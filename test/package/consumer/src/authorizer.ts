/**
 * The TOKEN authorizer of every service of this team, deployed once per service: `SERVICE_NAME`
 * picks the service's routes, the library does the rest.
 */
import { createAuthorizer } from 'keycloak-lambda-s2s/lambda';
import { routes } from './routes.js';

export const handler = createAuthorizer({ routes, env: process.env });
