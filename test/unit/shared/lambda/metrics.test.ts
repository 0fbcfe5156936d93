import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_METRICS_NAMESPACE, METRIC, createServiceMetrics, observeKeycloakRoundTrips } from 'keycloak-lambda-s2s/lambda';
import { createFakeLogger } from '../../helpers/fake-logger';
import { createFakeMetrics } from '../../helpers/fake-metrics';

type Emf = {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
};

/** The EMF lines Powertools writes to stdout while `action` runs. */
function emfWrittenBy(action: () => void): Emf[] {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    action();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Emf);
}

/** A Powertools Metrics publishing for real (not in dev mode, not disabled). */
function powertoolsMetrics(service: string, namespace = DEFAULT_METRICS_NAMESPACE): Metrics {
  vi.stubEnv('POWERTOOLS_DEV', '');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  return new Metrics({ namespace, serviceName: service });
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createServiceMetrics', () => {
  it('publishes nothing when nothing was recorded', () => {
    // Prepare
    const metrics = createServiceMetrics({ service: 'service-c', metrics: powertoolsMetrics('service-c') });

    // Act
    const lines = emfWrittenBy(() => metrics.flush());

    // Assess
    expect(lines).toEqual([]);
  });

  it('publishes the verdict-cache counts as one EMF line in the namespace, dimensioned by service', () => {
    // Prepare
    const metrics = createServiceMetrics({ service: 'authorizer-service-b', namespace: 'Team/Orders', metrics: powertoolsMetrics('authorizer-service-b', 'Team/Orders') });
    metrics.verdictLookup('miss');
    metrics.verdictLookup('hit');
    metrics.verdictLookup('hit');

    // Act
    const lines = emfWrittenBy(() => metrics.flush());

    // Assess
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line?._aws.CloudWatchMetrics[0]?.Namespace).toBe('Team/Orders');
    expect(line?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(line).toMatchObject({ service: 'authorizer-service-b', VerdictCacheHits: 2, VerdictCacheMisses: 1 });
  });

  it('publishes Keycloak round-trips, errors and each latency by kind, one line per kind', () => {
    // Prepare
    const metrics = createServiceMetrics({ service: 'service-b', metrics: powertoolsMetrics('service-b') });
    metrics.keycloakRoundTrip('exchange', { durationMs: 12, outcome: 'answered' });
    metrics.keycloakRoundTrip('exchange', { durationMs: 30, outcome: 'failed' });
    metrics.keycloakRoundTrip('token', { durationMs: 8, outcome: 'answered' });

    // Act
    const lines = emfWrittenBy(() => metrics.flush());

    // Assess
    expect(lines.map((line) => line._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual([[['service', 'kind']], [['service', 'kind']]]);
    expect(lines[0]).toMatchObject({ service: 'service-b', kind: 'exchange', KeycloakRoundTrips: 2, KeycloakErrors: 1, KeycloakLatency: [12, 30] });
    expect(lines[1]).toMatchObject({ service: 'service-b', kind: 'token', KeycloakRoundTrips: 1, KeycloakErrors: 0, KeycloakLatency: 8 });
    const units = Object.fromEntries(lines[0]?._aws.CloudWatchMetrics[0]?.Metrics.map(({ Name, Unit }) => [Name, Unit]) ?? []);
    expect(units).toEqual({ KeycloakRoundTrips: 'Count', KeycloakErrors: 'Count', KeycloakLatency: 'Milliseconds' });
  });

  it('publishes refusals and failures by code, and forgets them once published', () => {
    // Prepare
    const metrics = createServiceMetrics({ service: 'service-b', metrics: powertoolsMetrics('service-b') });
    metrics.requestErrored('BAD_REQUEST', 400);
    metrics.requestErrored('DOWNSTREAM_UNAVAILABLE', 502);
    metrics.requestErrored('INTERNAL', 500);
    metrics.authorizerRefused('TOKEN_EXPIRED');
    metrics.authorizerFailedClosed('KEYCLOAK_UNAVAILABLE');

    // Act
    const first = emfWrittenBy(() => metrics.flush());
    const second = emfWrittenBy(() => metrics.flush());

    // Assess
    expect(first.map(({ _aws, ...values }) => values)).toEqual([
      { service: 'service-b', code: 'BAD_REQUEST', [METRIC.requestRefusals]: 1 },
      { service: 'service-b', code: 'DOWNSTREAM_UNAVAILABLE', [METRIC.requestFailures]: 1 },
      { service: 'service-b', code: 'INTERNAL', [METRIC.requestFailures]: 1 },
      { service: 'service-b', code: 'TOKEN_EXPIRED', [METRIC.authorizerRefusals]: 1 },
      { service: 'service-b', code: 'KEYCLOAK_UNAVAILABLE', [METRIC.authorizerFailClosed]: 1 },
    ]);
    expect(second).toEqual([]);
  });

  it('fails open: a publishing error is logged once as a warning and never thrown', () => {
    // Prepare
    const log = createFakeLogger();
    const broken = {
      addDimension: () => {
        throw new Error('dimension limit');
      },
      addMetric: () => {},
      publishStoredMetrics: () => {
        throw new Error('stdout closed');
      },
    } as unknown as Metrics;
    const metrics = createServiceMetrics({ service: 'service-b', logger: log.logger, metrics: broken });

    // Act
    const run = () => {
      for (let i = 0; i < 3; i += 1) {
        metrics.requestErrored('BAD_REQUEST', 400);
        metrics.flush();
      }
    };

    // Assess
    expect(run).not.toThrow();
    expect(log.lines).toEqual([
      expect.objectContaining({ level: 'warn', message: 'metrics failed; requests go on without them', attributes: { step: 'flush', error: 'Error' } }),
    ]);
  });

  it('logs "unknown" for a publishing failure that is not an Error, never the thrown value', () => {
    // Prepare
    const log = createFakeLogger();
    const broken = {
      addDimension: () => {},
      addMetric: () => {},
      publishStoredMetrics: () => {
        throw 'stdout closed';
      },
    } as unknown as Metrics;
    const metrics = createServiceMetrics({ service: 'service-b', logger: log.logger, metrics: broken });

    // Act
    metrics.requestErrored('BAD_REQUEST', 400);
    metrics.flush();

    // Assess
    expect(log.lines).toEqual([
      expect.objectContaining({ level: 'warn', message: 'metrics failed; requests go on without them', attributes: { step: 'flush', error: 'unknown' } }),
    ]);
  });
});

describe('createServiceMetrics without a logger', () => {
  it('still fails open: a publishing error is swallowed', () => {
    // Prepare
    const broken = {
      addDimension: () => {},
      addMetric: () => {},
      publishStoredMetrics: () => {
        throw new Error('stdout closed');
      },
    } as unknown as Metrics;
    const metrics = createServiceMetrics({ service: 'service-b', metrics: broken });
    metrics.requestErrored('BAD_REQUEST', 400);

    // Act
    const flush = () => metrics.flush();

    // Assess
    expect(flush).not.toThrow();
  });
});

describe('observeKeycloakRoundTrips', () => {
  it('writes the debug line and records the round-trip', () => {
    // Prepare
    const log = createFakeLogger();
    const fake = createFakeMetrics();
    const onRoundTrip = observeKeycloakRoundTrips(log.logger, fake.metrics);

    // Act
    onRoundTrip('introspect', { durationMs: 4, outcome: 'answered' });

    // Assess
    expect(log.lines.map((line) => [line.level, line.message, line.attributes])).toEqual([
      ['debug', 'keycloak round-trip', { kind: 'introspect', duration_ms: 4, outcome: 'answered' }],
    ]);
    expect(fake.calls).toEqual([['keycloakRoundTrip', 'introspect', { durationMs: 4, outcome: 'answered' }]]);
  });
});
