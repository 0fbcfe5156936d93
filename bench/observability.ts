/**
 * What every function of every bench strategy logs and measures: the production entries' logger,
 * Powertools metrics and Keycloak round-trip hook (functions/<service>/handler.ts, the library's
 * authorizer). The strategies then differ in how they authenticate and nothing else, so the bench
 * compares strategies, not one strategy with metrics against another without.
 */
import { createLogger, createServiceMetrics, observeKeycloakRoundTrips, readMetricsNamespace, type Logger, type ServiceMetrics } from 'keycloak-lambda-s2s/lambda';

/** A function's logger and metrics, with the round-trip hook that feeds both. */
export interface BenchObservability {
  logger: Logger;
  metrics: ServiceMetrics;
  /** Writes the `keycloak round-trip` debug line the bench counts, and records the metric. */
  onKeycloakRoundTrip: ReturnType<typeof observeKeycloakRoundTrips>;
}

/** The observability of the function `service` (`service-a`, `authorizer-service-b`, …), as production builds it. */
export function benchObservability(service: string, env: Record<string, string | undefined>): BenchObservability {
  const logger = createLogger(service);
  const metrics = createServiceMetrics({ service, namespace: readMetricsNamespace(env), logger });
  return { logger, metrics, onKeycloakRoundTrip: observeKeycloakRoundTrips(logger, metrics) };
}
