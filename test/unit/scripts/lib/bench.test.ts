import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  assertLoopback,
  benchSummary,
  countColdStarts,
  countRoundTrips,
  forgeToken,
  formatSigningCost,
  formatTable,
  measureAssertionSigning,
  invocationTimes,
  matchesKeycloak,
  median,
  pairedRatio,
  parseKeycloakMetrics,
  processCpuMs,
  percentile,
  runLoad,
  summarize,
} from '../../../../scripts/lib/bench.mjs';
import { unsignedJwt } from '../../helpers/jwt';

// These check the bench's arithmetic and bookkeeping on given numbers; nothing here measures time.

describe('percentile', () => {
  it('takes the nearest rank of ascending values', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, i) => i + 1);

    // Act & Assess
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    // Act & Assess
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('summarize', () => {
  it('reports percentiles and requests per second of a run', () => {
    // Act
    const summary = summarize([30, 10, 20, 40], 2000);

    // Assess
    expect(summary).toEqual({ requests: 4, p50: 20, p95: 40, p99: 40, rps: 2 });
  });
});

describe('countRoundTrips', () => {
  it('counts the functions’ round-trip lines by kind and by function, ignoring everything else', () => {
    // Prepare
    const line = (service: string, kind: string) => JSON.stringify({ level: 'DEBUG', message: 'keycloak round-trip', service, kind });
    const log = [
      line('service-a', 'token'),
      '(λ: serviceA) RequestId: 1  Duration: 3.00 ms  Billed Duration: 4 ms',
      line('authorizer-service-b', 'jwks'),
      line('authorizer-service-b', 'introspect'),
      JSON.stringify({ level: 'INFO', message: 'request', service: 'service-b', status: 200 }),
      line('service-b', 'exchange'),
      line('authorizer-service-c', 'introspect'),
      '{"level":"DEBUG","message":"keycloak round-trip","kin', // cut off mid-write
    ].join('\n');

    // Act
    const { total, byService } = countRoundTrips(log);

    // Assess
    expect(total).toEqual({ token: 1, introspect: 2, exchange: 1, jwks: 1 });
    expect(byService['authorizer-service-b']).toEqual({ token: 0, introspect: 1, exchange: 0, jwks: 1 });
  });
});

describe('invocationTimes', () => {
  it('collects serverless offline\'s Duration per function and the authorizers\' decision times', () => {
    // Prepare
    const log = [
      '(λ: authorizerB) RequestId: 0e46-5fdd  Duration: 1.84 ms  Billed Duration: 2 ms',
      JSON.stringify({ level: 'INFO', message: 'authorized', service: 'authorizer-service-b', latency_ms: 0 }),
      '(λ: serviceB) RequestId: 76c4-ca61  Duration: 9.53 ms  Billed Duration: 10 ms',
      JSON.stringify({ level: 'INFO', message: 'unauthorized', service: 'authorizer-service-c', code: 'TOKEN_MALFORMED', latency_ms: 1 }),
      JSON.stringify({ level: 'INFO', message: 'request', service: 'service-b', latency_ms: 8 }),
      '(λ: authorizerB) RequestId: a18a-1af8  Duration: 1.37 ms  Billed Duration: 2 ms',
    ].join('\n');

    // Act
    const { durations, decisions } = invocationTimes(log);

    // Assess
    expect(durations).toEqual({ authorizerB: [1.84, 1.37], serviceB: [9.53] });
    expect(decisions).toEqual([0, 1]);
  });
});

describe('parseKeycloakMetrics and matchesKeycloak', () => {
  const METRICS = [
    '# TYPE http_server_requests_seconds_count counter',
    'http_server_requests_seconds_count{method="POST",outcome="SUCCESS",status="200",uri="/realms/{realm}/protocol/{protocol}/token"} 5.0',
    'http_server_requests_seconds_count{method="POST",outcome="CLIENT_ERROR",status="400",uri="/realms/{realm}/protocol/{protocol}/token"} 1.0',
    'http_server_requests_seconds_count{method="POST",outcome="SUCCESS",status="200",uri="/realms/{realm}/protocol/{protocol}/token/introspect"} 7.0',
    'http_server_requests_seconds_count{method="GET",outcome="SUCCESS",status="200",uri="/realms/{realm}/protocol/{protocol}/certs"} 2.0',
    'http_server_requests_seconds_count{method="GET",outcome="SUCCESS",status="200",uri="/realms/{realm}/.well-known/{alias}"} 1.0',
  ].join('\n');

  it('sums Keycloak’s request counters per endpoint, whatever the status', () => {
    // Act & Assess
    expect(parseKeycloakMetrics(METRICS)).toEqual({ token: 6, introspect: 7, certs: 2 });
  });

  it('matches client credentials plus exchanges against the token endpoint', () => {
    // Act & Assess
    expect(matchesKeycloak({ token: 2, exchange: 4, introspect: 7, jwks: 2 }, { token: 6, introspect: 7, certs: 2 })).toBe(true);
    expect(matchesKeycloak({ token: 2, exchange: 3, introspect: 7, jwks: 2 }, { token: 6, introspect: 7, certs: 2 })).toBe(false);
  });
});

describe('assertLoopback', () => {
  it('lets 127.0.0.1 through and refuses any other host', () => {
    // Act & Assess
    expect(() => assertLoopback('http://127.0.0.1:3000/bench/run-service-b')).not.toThrow();
    expect(() => assertLoopback('http://localhost:3000/bench')).toThrow('the bench only loads 127.0.0.1');
    expect(() => assertLoopback('https://api.example.com/prod')).toThrow('the bench only loads 127.0.0.1');
  });
});

describe('runLoad', () => {
  it('stops at the request bound and records every answer', async () => {
    // Prepare
    let calls = 0;
    const fetch = (async () => new Response(++calls % 2 ? 'ok' : 'no', { status: calls % 2 ? 200 : 401 })) as unknown as typeof globalThis.fetch;

    // Act
    const load = await runLoad({ request: () => ({ url: 'http://127.0.0.1:1/x' }), concurrency: 3, maxRequests: 10, maxMs: 60_000, fetch });

    // Assess
    expect(calls).toBe(10);
    expect(load.latencies).toHaveLength(10);
    expect(load.statuses).toEqual({ 200: 5, 401: 5 });
  });

  it('stops at the time bound, on the clock it is given', async () => {
    // Prepare
    let clock = 0;
    const fetch = (async () => {
      clock += 100;
      return new Response('ok');
    }) as unknown as typeof globalThis.fetch;

    // Act
    const load = await runLoad({ request: () => ({ url: 'http://127.0.0.1:1/x' }), concurrency: 1, maxRequests: 1000, maxMs: 450, fetch, now: () => clock });

    // Assess
    expect(load.latencies).toHaveLength(5);
  });

  it('refuses to load anything but 127.0.0.1', async () => {
    // Act
    const load = runLoad({ request: () => ({ url: 'http://example.com/' }), concurrency: 1, maxRequests: 1, maxMs: 1000 });

    // Assess
    await expect(load).rejects.toThrow('the bench only loads 127.0.0.1');
  });
});

describe('forgeToken', () => {
  const REAL = unsignedJwt({ iss: 'http://127.0.0.1:8080/realms/microservices', aud: 'service-b', azp: 'service-a', sub: 's', exp: 1 });

  it('garbage: three segments that are not a JWT', () => {
    // Act
    const token = forgeToken('garbage', REAL);

    // Assess
    expect(token.split('.')).toHaveLength(3);
    expect(() => decodeJwt(token)).toThrow();
  });

  it('forged-signature: the real header and claims, a fresh jti and another signature every time', () => {
    // Act
    const [first, second] = [forgeToken('forged-signature', REAL), forgeToken('forged-signature', REAL)];

    // Assess
    expect(first.split('.')[0]).toBe(REAL.split('.')[0]);
    expect(decodeJwt(first)).toMatchObject({ iss: 'http://127.0.0.1:8080/realms/microservices', aud: 'service-b' });
    expect(decodeJwt(first).jti).not.toBe(decodeJwt(second).jti);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
  });

  it('unknown-kid: the real claims under a key id the realm does not have', () => {
    // Act
    const token = forgeToken('unknown-kid', REAL);

    // Assess
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256' });
    expect(decodeProtectedHeader(token).kid).toBeTruthy();
    expect(decodeJwt(token)).toMatchObject({ aud: 'service-b' });
  });
});

describe('formatTable', () => {
  it('aligns the first column left and the others right, under a rule', () => {
    // Act
    const table = formatTable(['strategy', 'p50'], [['kit', '9.5'], ['original', '41.0']]);

    // Assess
    expect(table).toBe(['strategy   p50', '--------  ----', 'kit        9.5', 'original  41.0'].join('\n'));
  });
});

describe('benchSummary', () => {
  const calls = (token: number, introspect: number, exchange: number, jwks: number) => ({ token, introspect, exchange, jwks });

  /** Figures as the bench measured them with the gateway cache on. */
  function measured() {
    return {
      warm: {
        kit: { '1': { per1000: calls(0, 0, 0, 0), p50: 10.5, cpuMsPerRequest: 9.9 }, '10': { per1000: calls(0, 20.4, 5.2, 1.1), p50: 92, cpuMsPerRequest: 11 } },
        original: { '1': { per1000: calls(1000, 2000, 1000, 0), p50: 40 }, '10': { per1000: calls(1000, 2000, 1000, 0), p50: 250, cpuMsPerRequest: 30 } },
      },
      baseline: { '1': { p50: 10, cpuMsPerRequest: 9 }, '10': { p50: 80, cpuMsPerRequest: 10 } },
      cold: {
        kit: { ms: 600.4, cpuMs: 410.6, calls: calls(1, 2, 1, 2), samples: [{ ms: 500 }, { ms: 900 }, { ms: 600 }] },
        original: { ms: 700, calls: calls(1, 2, 1, 0), samples: [{ ms: 1000 }, { ms: 600 }, { ms: 700 }] },
        off: { ms: 280, calls: calls(0, 0, 0, 0) },
      },
      flood: {
        kit: { garbage: { per1000: calls(0, 0, 0, 0) }, 'unknown-kid': { per1000: calls(0, 0, 0, 5) } },
        original: { garbage: { per1000: calls(0, 1000, 0, 0) } },
      },
    };
  }

  it('reports Keycloak calls per 1,000 (all kinds) and p50 against the no-auth baseline, by strategy and concurrency', () => {
    // Act
    const summary = benchSummary(measured());

    // Assess
    expect(summary.gatewayCache).toBe('on');
    expect(summary.kcCallsPer1000).toEqual({ kit: { '1': 0, '10': 26.7 }, original: { '1': 4000, '10': 4000 } });
    expect(summary.p50VsOff).toEqual({ kit: { '1': 1.05, '10': 1.15 }, original: { '1': 4, '10': 3.13 } });
  });

  it('reports the cold chain of each strategy and the kit against the original', () => {
    // Act
    const summary = benchSummary(measured());

    // Assess
    expect(summary.coldChain).toEqual({ kit: { ms: 600, kcCalls: 6, cpuMs: 411 }, original: { ms: 700, kcCalls: 4 }, off: { ms: 280, kcCalls: 0 } });
    expect(summary.coldKitVsOriginal).toBe(0.86);
    // pairs 500/1000, 900/600, 600/700: ratios 0.5, 1.5, 0.857…
    expect(summary.coldKitVsOriginalPaired).toBe(0.86);
  });

  it('reports the kit against the no-auth chain from side-by-side windows, pair by pair', () => {
    // Act
    const summary = benchSummary({ ...measured(), pairedWarm: { '1': { kit: [5, 9, 6], off: [5, 6, 8] }, '10': { kit: [40, 60], off: [50, Number.NaN] } } });

    // Assess: concurrency 1 pairs 1, 1.5, 0.75 (median 1); concurrency 10 only the first pair has both figures
    expect(summary.p50VsOffPaired).toEqual({ kit: { '1': 1, '10': 0.8 } });
  });

  it('reports the CPU time per request of each strategy and against the no-auth baseline', () => {
    // Act
    const summary = benchSummary(measured());

    // Assess
    expect(summary.cpuMsPerRequest).toEqual({ off: { '1': 9, '10': 10 }, kit: { '1': 9.9, '10': 11 }, original: { '1': null, '10': 30 } });
    expect(summary.cpuVsOff).toEqual({ kit: { '1': 1.1, '10': 1.1 }, original: { '1': null, '10': 3 } });
  });

  it('reports the Keycloak calls per 1,000 forged tokens by strategy and forgery', () => {
    // Act
    const summary = benchSummary(measured());

    // Assess
    expect(summary.forgedPer1000).toEqual({ kit: { garbage: 0, 'unknown-kid': 5 }, original: { garbage: 1000 } });
  });

  it('leaves null where a figure was not measured, and never divides by a missing baseline', () => {
    // Prepare
    const { warm } = measured();

    // Act
    const summary = benchSummary({ warm: { kit: { '1': warm.kit['1'] } }, baseline: { '10': { p50: 80 } } });

    // Assess
    expect(summary.kcCallsPer1000).toEqual({ kit: { '1': 0, '10': null }, original: { '1': null, '10': null } });
    expect(summary.p50VsOff).toEqual({ kit: { '1': null, '10': null }, original: { '1': null, '10': null } });
    expect(summary.coldChain).toEqual({});
    expect(summary.coldKitVsOriginal).toBeNull();
    expect(summary.coldKitVsOriginalPaired).toBeNull();
    expect(summary.p50VsOffPaired).toEqual({ kit: { '1': null, '10': null } });
    expect(summary.cpuVsOff).toEqual({ kit: { '1': null, '10': null }, original: { '1': null, '10': null } });
  });
});

describe('processCpuMs', () => {
  // The first fields of a real /proc/<pid>/stat line; the command name holds a space and a ')'.
  const stat = (utime: number, stime: number) =>
    `4242 (node (x) y) S 1 4242 4242 0 -1 4194560 12345 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 123456 1000000 20000`;

  it('adds user and system time, in ms from the 100 Hz ticks, after the command name', () => {
    // Act
    const ms = processCpuMs(4242, (file) => {
      expect(file).toBe('/proc/4242/stat');
      return stat(150, 25);
    });

    // Assess
    expect(ms).toBe(1750);
  });

  it('is undefined when the file cannot be read (not Linux, process gone) or is not a stat line', () => {
    // Act + Assess
    expect(
      processCpuMs(1, () => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(processCpuMs(1, () => '1 (x) S')).toBeUndefined();
  });
});

describe('pairedRatio', () => {
  it('is the median of the sample-by-sample ratios, skipping pairs without both figures', () => {
    // Act + Assess
    expect(pairedRatio([100, 300, 200, 50], [200, 100, 200, Number.NaN])).toBe(1);
    expect(pairedRatio([10, 20], [0, 40])).toBe(0.5);
    expect(pairedRatio([], [])).toBeNull();
  });
});

describe('countColdStarts', () => {
  it('counts the invocations that ran on a new instance, one per opening line, ignoring other lines', () => {
    // Prepare
    const log = [
      JSON.stringify({ level: 'INFO', message: 'request', service: 'service-a', cold_start: true }),
      JSON.stringify({ level: 'DEBUG', message: 'keycloak round-trip', service: 'service-a', cold_start: true, kind: 'token' }),
      JSON.stringify({ level: 'INFO', message: 'authorized', service: 'authorizer-service-b', cold_start: true }),
      JSON.stringify({ level: 'INFO', message: 'request', service: 'service-b', cold_start: false }),
      '(λ: serviceA) RequestId: 1  Duration: 3.00 ms  Billed Duration: 3 ms "cold_start":true',
      '{"cold_start":true, not json',
    ].join('\n');

    // Act + Assess
    expect(countColdStarts(log)).toBe(2);
    expect(countColdStarts('')).toBe(0);
  });
});

describe('signing cost of private_key_jwt', () => {
  it('formats one row per algorithm: samples, median and p95 in whole microseconds', () => {
    // Act
    const table = formatSigningCost({ ES256: { samples: 1000, medianUs: 98.4, p95Us: 151.6 }, RS256: { samples: 1000, medianUs: 1012.5, p95Us: 1320 } });

    // Assess
    expect(table.split('\n')).toEqual([
      'assertion                 samples  median µs  p95 µs',
      '------------------------  -------  ---------  ------',
      'ES256 (P-256, service-b)     1000         98     152',
      'RS256 (RSA-2048)             1000       1013    1320',
    ]);
  });

  it('leaves out an algorithm that was not measured', () => {
    expect(formatSigningCost({ ES256: { samples: 5, medianUs: 100, p95Us: 120 } }).split('\n')).toHaveLength(3);
  });

  it('puts the median per algorithm into the summary when it was measured, and nothing when it was not', () => {
    // Act
    const withSigning = benchSummary({ warm: {}, baseline: {}, signing: { ES256: { medianUs: 98.4 }, RS256: { medianUs: 1012.5 } } });
    const without = benchSummary({ warm: {}, baseline: {} });

    // Assess
    expect(withSigning.assertionSigningUs).toEqual({ ES256: 98, RS256: 1013 });
    expect(without).not.toHaveProperty('assertionSigningUs');
  });

  it('measures each algorithm with the library: the given number of samples, times from the injected clock', async () => {
    // Prepare: a clock that advances 0.25 ms per reading, so each assertion takes 250 µs.
    let ms = 0;
    const now = () => {
      ms += 0.25;
      return ms;
    };

    // Act
    const figures = await measureAssertionSigning({ samples: 3, warmup: 1, now });

    // Assess
    expect(figures).toEqual({ ES256: { samples: 3, medianUs: 250, p95Us: 250 }, RS256: { samples: 3, medianUs: 250, p95Us: 250 } });
  });
});
