import { Logger } from '@aws-lambda-powertools/logger';
import type { KeycloakCallKind, KeycloakRoundTrip } from '../keycloak/client';

/**
 * A structured JSON logger for one service (Powertools Logger; its level comes from
 * `POWERTOOLS_LOG_LEVEL` or `LOG_LEVEL`, default INFO). Log only identifiers, codes and timings:
 * never tokens, Authorization headers, secrets or whole events.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/**
 * A round-trip hook (`RuntimeOverrides.onKeycloakRoundTrip`) that writes one debug line per Keycloak
 * call, `{"message":"keycloak round-trip","kind":"token"|"introspect"|"exchange"|"jwks",
 * "duration_ms":12,"outcome":"answered"|"failed"}`: silent at the default level, visible with
 * `LOG_LEVEL=DEBUG`, and what `npm run bench` counts by kind.
 */
export function logKeycloakRoundTrips(logger: Logger): (kind: KeycloakCallKind, roundTrip?: KeycloakRoundTrip) => void {
  return (kind, roundTrip) =>
    logger.debug('keycloak round-trip', { kind, ...(roundTrip ? { duration_ms: roundTrip.durationMs, outcome: roundTrip.outcome } : {}) });
}

export type { Logger };
