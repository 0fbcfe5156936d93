/** The inventory service's TOKEN authorizer: the library's, configured with this team's routes. */
import { createAuthorizer } from 'keycloak-lambda-s2s/lambda';
import { routes } from './routes.js';

export const handler = createAuthorizer({ routes, env: process.env });
