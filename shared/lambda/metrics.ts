import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KeycloakCallKind, KeycloakRoundTrip } from '../keycloak/client';
import type { VerdictLookup } from '../token-authority';
import { logKeycloakRoundTrips, type Logger } from './logger';

/** The CloudWatch namespace of the kit's metrics unless `POWERTOOLS_METRICS_NAMESPACE` names another. */
export const DEFAULT_METRICS_NAMESPACE = 'KeycloakS2S';

/**
 * The metric names this kit publishes (CloudWatch EMF). Every metric carries the dimension
 * `service` (the function's service, `authorizer-<service>` for an authorizer); the Keycloak
 * metrics add `kind`, the refusal and failure metrics add `code`. Dimension values come from
 * configuration and fixed code lists only, never from a token or a request.
 * @see docs/operations.md (dashboards and alarms)
 */
export const METRIC = {
  /** Authorizer: a token's verdict was served by the cache (no new decision). Count; `service`. */
  verdictCacheHits: 'VerdictCacheHits',
  /** Authorizer: a token's verdict had to be decided (local check and/or introspection). Count; `service`. */
  verdictCacheMisses: 'VerdictCacheMisses',
  /** Keycloak round-trips made, by `kind` (token, introspect, exchange, jwks). Count; `service`, `kind`. */
  keycloakRoundTrips: 'KeycloakRoundTrips',
  /** Keycloak round-trips that failed (unreachable, timeout, 5xx, unreadable answer). Count; `service`, `kind`. */
  keycloakErrors: 'KeycloakErrors',
  /** Duration of each Keycloak round-trip. Milliseconds; `service`, `kind`. */
  keycloakLatency: 'KeycloakLatency',
  /** Authorizer: a token refused (401, `TOKEN_*` codes) or a valid one allowed no route (403, `PERMISSION_DENIED`). Count; `service`, `code`. */
  authorizerRefusals: 'AuthorizerRefusals',
  /** Authorizer: could not decide and failed closed (API Gateway's 5xx; `KEYCLOAK_*`, `SECRET*`, …). Count; `service`, `code`. */
  authorizerFailClosed: 'AuthorizerFailClosed',
  /** Service handler: a request refused with a 4xx, by its error code. Count; `service`, `code`. */
  requestRefusals: 'RequestRefusals',
  /** Service handler: a request failed with a 5xx, by its error code. Count; `service`, `code`. */
  requestFailures: 'RequestFailures',
} as const;

/**
 * What the kit measures, recorded in memory during an invocation and published by {@link
 * ServiceMetrics.flush} at its end. Every method fails open: a metrics problem is logged (once per
 * container) and never breaks a request.
 */
export interface ServiceMetrics {
  /** One verdict-cache lookup of the authorizer (the token authority's `onVerdictLookup`). */
  verdictLookup(lookup: VerdictLookup): void;
  /** One Keycloak round-trip (the Keycloak client's `onRoundTrip`). */
  keycloakRoundTrip(kind: KeycloakCallKind, roundTrip: KeycloakRoundTrip): void;
  /** The authorizer refused a token (401) or allowed it no route (403), with the stable code. */
  authorizerRefused(code: string): void;
  /** The authorizer could not decide and failed closed, with the stable code. */
  authorizerFailedClosed(code: string): void;
  /** A service handler answered with an error: `status` < 500 is a refusal, ≥ 500 a failure. */
  requestErrored(code: string, status: number): void;
  /** Publishes what was recorded since the last flush (one EMF line per dimension set) and forgets it. */
  flush(): void;
}

/** Options of {@link createServiceMetrics}. */
export interface ServiceMetricsOptions {
  /** The `service` dimension, e.g. `service-b` or `authorizer-service-b`. */
  service: string;
  /** CloudWatch namespace (default {@link DEFAULT_METRICS_NAMESPACE}; see `readMetricsNamespace`). */
  namespace?: string;
  /** Where a metrics problem is reported (as a warning, once per container). */
  logger?: Pick<Logger, 'warn'>;
  /** The Powertools Metrics instance to publish through; tests inject one. */
  metrics?: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>;
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

interface Recorded {
  dimensions: Record<string, string>;
  counts: Map<string, number>;
  samples: Map<string, { unit: Unit; values: number[] }>;
}

/**
 * Metrics of one function through Powertools Metrics (CloudWatch EMF on stdout): verdict-cache
 * hits and misses, Keycloak round-trips, errors and latency by kind, refusals and failures by code.
 * Build it once per container; the authorizer and `handleRequest` flush it at the end of each
 * invocation. Powertools' own switches apply (`POWERTOOLS_METRICS_DISABLED`; `POWERTOOLS_DEV`
 * turns publishing off unless that one is set).
 * @see docs/operations.md
 */
export function createServiceMetrics({ service, namespace = DEFAULT_METRICS_NAMESPACE, logger, metrics }: ServiceMetricsOptions): ServiceMetrics {
  const sink = metrics ?? new Metrics({ namespace, serviceName: service });
  let warned = false;
  const recorded = new Map<string, Recorded>();

  // Fail open: metrics are worth less than the request they describe.
  const safely = (what: string, action: () => void) => {
    try {
      action();
    } catch (error) {
      if (warned) return;
      warned = true;
      logger?.warn('metrics failed; requests go on without them', { step: what, error: error instanceof Error ? error.name : 'unknown' });
    }
  };

  const setOf = (dimensions: Record<string, string>): Recorded => {
    const key = JSON.stringify(dimensions);
    let entry = recorded.get(key);
    if (!entry) {
      entry = { dimensions, counts: new Map(), samples: new Map() };
      recorded.set(key, entry);
    }
    return entry;
  };
  const count = (name: string, dimensions: Record<string, string> = {}, value = 1) => {
    const { counts } = setOf(dimensions);
    counts.set(name, (counts.get(name) ?? 0) + value);
  };

  return {
    verdictLookup: (lookup) => safely('verdictLookup', () => count(lookup === 'hit' ? METRIC.verdictCacheHits : METRIC.verdictCacheMisses)),
    keycloakRoundTrip: (kind, { durationMs, outcome }) =>
      safely('keycloakRoundTrip', () => {
        const dimensions = { kind };
        count(METRIC.keycloakRoundTrips, dimensions);
        // A zero keeps KeycloakErrors / KeycloakRoundTrips defined when nothing failed.
        count(METRIC.keycloakErrors, dimensions, outcome === 'failed' ? 1 : 0);
        const { samples } = setOf(dimensions);
        const latency = samples.get(METRIC.keycloakLatency) ?? { unit: MetricUnit.Milliseconds, values: [] };
        latency.values.push(Math.max(0, durationMs));
        samples.set(METRIC.keycloakLatency, latency);
      }),
    authorizerRefused: (code) => safely('authorizerRefused', () => count(METRIC.authorizerRefusals, { code })),
    authorizerFailedClosed: (code) => safely('authorizerFailedClosed', () => count(METRIC.authorizerFailClosed, { code })),
    requestErrored: (code, status) =>
      safely('requestErrored', () => count(status >= 500 ? METRIC.requestFailures : METRIC.requestRefusals, { code })),
    flush() {
      if (recorded.size === 0) return;
      const sets = [...recorded.values()];
      recorded.clear();
      safely('flush', () => {
        for (const { dimensions, counts, samples } of sets) {
          for (const [name, value] of Object.entries(dimensions)) sink.addDimension(name, value);
          for (const [name, value] of counts) sink.addMetric(name, MetricUnit.Count, value);
          for (const [name, { unit, values }] of samples) for (const value of values) sink.addMetric(name, unit, value);
          sink.publishStoredMetrics();
        }
      });
    },
  };
}

/**
 * A round-trip hook (`RuntimeOverrides.onKeycloakRoundTrip`) that writes the debug line of
 * `logKeycloakRoundTrips` and records the round-trip in `metrics`.
 */
export function observeKeycloakRoundTrips(
  logger: Logger,
  metrics: Pick<ServiceMetrics, 'keycloakRoundTrip'>,
): (kind: KeycloakCallKind, roundTrip: KeycloakRoundTrip) => void {
  const log = logKeycloakRoundTrips(logger);
  return (kind, roundTrip) => {
    log(kind, roundTrip);
    metrics.keycloakRoundTrip(kind, roundTrip);
  };
}
