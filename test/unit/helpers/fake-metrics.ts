import type { ServiceMetrics } from 'keycloak-lambda-s2s/lambda';

/** One call the code under test made on its metrics. */
export type MetricsCall = { [Method in keyof ServiceMetrics]: [Method, ...Parameters<ServiceMetrics[Method]>] }[keyof ServiceMetrics];

/** A recording stand-in for {@link ServiceMetrics}, plus what it recorded. */
export interface FakeMetrics {
  metrics: ServiceMetrics;
  calls: MetricsCall[];
  /** The calls made before each `flush`, one array per flush. */
  flushed: MetricsCall[][];
}

/** Records every call instead of publishing. */
export function createFakeMetrics(): FakeMetrics {
  const calls: MetricsCall[] = [];
  const flushed: MetricsCall[][] = [];
  let pending: MetricsCall[] = [];
  const record = (call: MetricsCall) => {
    calls.push(call);
    pending.push(call);
  };
  return {
    calls,
    flushed,
    metrics: {
      verdictLookup: (lookup) => record(['verdictLookup', lookup]),
      keycloakRoundTrip: (kind, roundTrip) => record(['keycloakRoundTrip', kind, roundTrip]),
      authorizerRefused: (code) => record(['authorizerRefused', code]),
      authorizerFailedClosed: (code) => record(['authorizerFailedClosed', code]),
      requestErrored: (code, status) => record(['requestErrored', code, status]),
      flush() {
        calls.push(['flush']);
        flushed.push(pending);
        pending = [];
      },
    },
  };
}
