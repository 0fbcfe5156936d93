import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../time';
import type { ServiceSettings } from './config';
import { createKeycloakClient, type KeycloakCallKind, type KeycloakClient, type KeycloakRoundTrip } from '../keycloak/client';
import { createServiceIdentity, type ServiceIdentity } from '../keycloak/service-identity';
import type { FetchLike } from '../keycloak/transport';
import { createClientCredentialsSource, createSecretsManagerClient, type ClientCredentialsSource } from '../secrets';

/** What every function builds once per container: its Keycloak client, its credentials, its identity. */
export interface ServiceRuntime {
  keycloak: KeycloakClient;
  credentials: ClientCredentialsSource;
  identity: ServiceIdentity;
}

/** Injectable parts of a {@link ServiceRuntime}; production uses the defaults. */
export interface RuntimeOverrides {
  fetch?: FetchLike;
  secretsClient?: SecretsManagerClient;
  /** Clock timing Keycloak round-trips (default `Date.now`). */
  now?: Clock;
  /** Called after each Keycloak round-trip (see `observeKeycloakRoundTrips`); must not throw. */
  onKeycloakRoundTrip?: (kind: KeycloakCallKind, roundTrip: KeycloakRoundTrip) => void;
}

/** Builds the Keycloak client, the secret source and the service identity from settings. */
export function createServiceRuntime(settings: ServiceSettings, overrides: RuntimeOverrides = {}): ServiceRuntime {
  const keycloak = createKeycloakClient({
    ...settings.keycloak,
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(overrides.onKeycloakRoundTrip ? { onRoundTrip: overrides.onKeycloakRoundTrip } : {}),
  });
  const credentials = createClientCredentialsSource({
    secretId: settings.secretId,
    clientId: settings.clientId,
    maxAgeSeconds: settings.secretsMaxAgeSeconds,
    method: settings.clientAuthMethod,
    audience: keycloak.issuer,
    client: overrides.secretsClient ?? createSecretsManagerClient({ timeoutMs: settings.secretsTimeoutMs }),
  });
  return { keycloak, credentials, identity: createServiceIdentity(keycloak, credentials) };
}
