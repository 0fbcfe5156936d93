import { describe, expect, it } from 'vitest';
import { logKeycloakRoundTrips } from 'keycloak-lambda-s2s/lambda';
import { createFakeLogger } from '../../helpers/fake-logger';

describe('logKeycloakRoundTrips', () => {
  it('writes one debug line per Keycloak round-trip, naming its kind', () => {
    // Prepare
    const log = createFakeLogger();
    const onRoundTrip = logKeycloakRoundTrips(log.logger);

    // Act
    onRoundTrip('token');
    onRoundTrip('jwks');

    // Assess
    expect(log.lines.map(({ level, message, attributes }) => ({ level, message, attributes }))).toEqual([
      { level: 'debug', message: 'keycloak round-trip', attributes: { kind: 'token' } },
      { level: 'debug', message: 'keycloak round-trip', attributes: { kind: 'jwks' } },
    ]);
  });

  it('adds the duration and outcome when the client reports them', () => {
    // Prepare
    const log = createFakeLogger();
    const onRoundTrip = logKeycloakRoundTrips(log.logger);

    // Act
    onRoundTrip('introspect', { durationMs: 12, outcome: 'failed' });

    // Assess
    expect(log.lines[0]?.attributes).toEqual({ kind: 'introspect', duration_ms: 12, outcome: 'failed' });
  });
});
