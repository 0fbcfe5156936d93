// @ts-check
/**
 * The measuring parts of `npm run bench` (scripts/bench.mjs): a bounded load loop against the local
 * API, latency summaries, Keycloak round-trip counts from the functions' debug lines and from
 * Keycloak's own /metrics, forged tokens for the flood, and plain-text tables. No timing is asserted
 * anywhere: a benchmark reports, it does not pass or fail.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { privateKeyJwt } from 'keycloak-lambda-s2s';

/** @typedef {'token' | 'introspect' | 'exchange' | 'jwks'} RoundTripKind */
/** @typedef {Record<RoundTripKind, number>} RoundTrips */
/** @typedef {{ token: number, introspect: number, certs: number }} KeycloakEndpointCounts */

/** The kinds of Keycloak round-trip the functions report (shared/keycloak/client.ts, KeycloakCallKind). */
export const ROUND_TRIP_KINDS = /** @type {const} */ (['token', 'introspect', 'exchange', 'jwks']);

/** The message of the functions' debug line for each Keycloak call (shared/logger.ts). */
const ROUND_TRIP_MESSAGE = 'keycloak round-trip';

/** @returns {RoundTrips} */
export const noRoundTrips = () => ({ token: 0, introspect: 0, exchange: 0, jwks: 0 });

/**
 * The `p`-th percentile of ascending `sorted` values (nearest rank), or NaN when empty.
 * @param {number[]} sorted
 * @param {number} p 0 < p ≤ 100
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]);
}

/**
 * The median of `values` (mean of the two middle ones for an even count), or NaN when empty.
 * @param {number[]} values
 */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? /** @type {number} */ (sorted[middle]) : (/** @type {number} */ (sorted[middle - 1]) + /** @type {number} */ (sorted[middle])) / 2;
}

/**
 * Latency percentiles (ms) and throughput (requests per second) of one load run.
 * @param {number[]} latenciesMs
 * @param {number} wallMs how long the run took, start of the first request to end of the last
 */
export function summarize(latenciesMs, wallMs) {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    rps: wallMs > 0 ? (sorted.length * 1000) / wallMs : Number.NaN,
  };
}

/**
 * Counts the functions' `keycloak round-trip` debug lines in a stretch of serverless offline's log,
 * by kind and by the function that made them (the logger's `service`).
 * @param {string} logText
 * @returns {{ total: RoundTrips, byService: Record<string, RoundTrips> }}
 */
export function countRoundTrips(logText) {
  const total = noRoundTrips();
  /** @type {Record<string, RoundTrips>} */
  const byService = {};
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{') || !line.includes(ROUND_TRIP_MESSAGE)) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a line cut at the end of the stretch; the next read sees it whole
    }
    const kind = /** @type {RoundTripKind} */ (entry.kind);
    if (entry.message !== ROUND_TRIP_MESSAGE || !ROUND_TRIP_KINDS.includes(kind)) continue;
    total[kind] += 1;
    const service = String(entry.service ?? 'unknown');
    (byService[service] ??= noRoundTrips())[kind] += 1;
  }
  return { total, byService };
}

/**
 * From a stretch of serverless offline's log: the Duration it reports for each invocation, by
 * function (`(λ: authorizerB) RequestId: …  Duration: 1.84 ms …`), and the authorizers' own
 * decision time (`latency_ms` of their `authorized` / `unauthorized` lines, whole milliseconds).
 * @param {string} logText
 * @returns {{ durations: Record<string, number[]>, decisions: number[] }}
 */
export function invocationTimes(logText) {
  /** @type {Record<string, number[]>} */
  const durations = {};
  /** @type {number[]} */
  const decisions = [];
  for (const line of logText.split('\n')) {
    const invocation = /^\(λ: ([^)]+)\) RequestId: \S+ +Duration: ([\d.]+) ms/.exec(line);
    if (invocation) {
      (durations[/** @type {string} */ (invocation[1])] ??= []).push(Number(invocation[2]));
      continue;
    }
    if (!line.startsWith('{') || !line.includes('"service":"authorizer-')) continue;
    try {
      const entry = JSON.parse(line);
      if ((entry.message === 'authorized' || entry.message === 'unauthorized') && typeof entry.latency_ms === 'number') decisions.push(entry.latency_ms);
    } catch {
      // a line cut at the end of the stretch
    }
  }
  return { durations, decisions };
}

/**
 * Keycloak's own request counters by endpoint, from the management port's Prometheus /metrics: the
 * token endpoint (client credentials and token exchange alike), introspection and JWKS (certs).
 * @param {string} text
 * @returns {KeycloakEndpointCounts}
 */
export function parseKeycloakMetrics(text) {
  const sum = (/** @type {string} */ suffix) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('http_server_requests_seconds_count{') && line.includes(`uri="/realms/{realm}/protocol/{protocol}${suffix}"`))
      .reduce((total, line) => total + Number(line.trim().split(' ').pop()), 0);
  return { token: sum('/token'), introspect: sum('/token/introspect'), certs: sum('/certs') };
}

/**
 * Whether the functions' own count of round-trips matches what Keycloak counted in the same window:
 * client credentials + exchanges = token endpoint, introspections = introspect, JWKS = certs.
 * @param {RoundTrips} counted
 * @param {KeycloakEndpointCounts} keycloak
 */
export function matchesKeycloak(counted, keycloak) {
  return counted.token + counted.exchange === keycloak.token && counted.introspect === keycloak.introspect && counted.jwks === keycloak.certs;
}

/**
 * Refuses any URL that does not target 127.0.0.1: the bench loads only the local stack.
 * @param {string} url
 */
export function assertLoopback(url) {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error(`the bench only loads 127.0.0.1, not ${hostname}`);
}

/**
 * A closed-loop load: `concurrency` workers each send a request, wait for the whole answer and send
 * the next, until `maxRequests` were sent or `maxMs` elapsed (whichever comes first).
 * @param {{
 *   request: () => { url: string, init?: RequestInit },
 *   concurrency: number,
 *   maxRequests: number,
 *   maxMs: number,
 *   fetch?: typeof globalThis.fetch,
 *   now?: () => number,
 * }} options
 */
export async function runLoad({ request, concurrency, maxRequests, maxMs, fetch = globalThis.fetch, now = () => performance.now() }) {
  if (!(concurrency >= 1 && maxRequests >= 1 && maxMs > 0)) throw new RangeError('concurrency, maxRequests and maxMs must be positive');
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  let sent = 0;
  const started = now();
  const deadline = started + maxMs;
  const worker = async () => {
    while (sent < maxRequests && now() < deadline) {
      sent += 1;
      const { url, init } = request();
      assertLoopback(url);
      const t0 = now();
      let status;
      try {
        const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
        await response.arrayBuffer();
        status = String(response.status);
      } catch (error) {
        status = error instanceof Error ? error.name : 'error';
      }
      latencies.push(now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, statuses, wallMs: now() - started };
}

/** @param {Buffer | string} data */
const base64url = (data) => Buffer.from(data).toString('base64url');

/** The kinds of forged token the flood sends. */
export const FORGERY_KINDS = /** @type {const} */ (['garbage', 'forged-signature', 'unknown-kid']);

/**
 * A token no Keycloak issued, unique on every call (so no cache can answer it):
 * - `garbage`: three dot-separated random segments, not even a JWT;
 * - `forged-signature`: a real token's header (the realm's `kid`) and claims, a fresh `jti`, a random signature;
 * - `unknown-kid`: the right issuer and audience, signed "by" a key the realm does not have.
 * @param {(typeof FORGERY_KINDS)[number]} kind
 * @param {string} realToken an access token Keycloak issued, for its header and claims
 */
export function forgeToken(kind, realToken) {
  const signature = base64url(randomBytes(256));
  if (kind === 'garbage') return `${base64url(randomBytes(24))}.${base64url(randomBytes(96))}.${signature}`;
  const [header = '', payload = ''] = realToken.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), jti: base64url(randomBytes(12)) };
  const forgedHeader = kind === 'unknown-kid' ? base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: base64url(randomBytes(16)) })) : header;
  return `${forgedHeader}.${base64url(JSON.stringify(claims))}.${signature}`;
}

/**
 * A plain-text table: first column left-aligned, the others right-aligned.
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 */
export function formatTable(header, rows) {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (/** @type {string[]} */ row) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** The log lines that open an invocation: one per handler or authorizer invocation. */
const INVOCATION_MESSAGES = new Set(['request', 'request failed', 'authorized', 'unauthorized', 'authorizer failed closed']);

/**
 * How many invocations in a stretch of serverless offline's log ran on a new instance (their line has
 * `cold_start: true`): the bench's warm-up goes on until a batch of requests creates none.
 * @param {string} logText
 */
export function countColdStarts(logText) {
  let count = 0;
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"cold_start":true')) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.cold_start === true && INVOCATION_MESSAGES.has(entry.message)) count += 1;
    } catch {
      // not a log line of a function
    }
  }
  return count;
}

/**
 * CPU time a process has used so far, in ms, all its threads together (serverless offline runs every
 * function instance in a worker thread of its one process): utime + stime of `/proc/<pid>/stat`, in
 * USER_HZ ticks (100 per second on Linux). Undefined where there is no such file (not Linux, process gone).
 * Unlike latency, it barely moves when other work shares the machine, so it shows what auth costs
 * even on a busy one.
 * @param {number} pid
 * @param {(file: string) => string} [read]
 * @returns {number | undefined}
 */
export function processCpuMs(pid, read = (file) => readFileSync(file, 'utf8')) {
  let stat;
  try {
    stat = read(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * 10 : undefined;
}

/**
 * The median of the ratios of paired samples (`a[i] / b[i]`, taken in the same minute), which a machine
 * getting busier or quieter between two strategies' runs does not skew as a ratio of medians can.
 * Null when no pair has both figures.
 * @param {number[]} a
 * @param {number[]} b
 */
export function pairedRatio(a, b) {
  const ratios = a.flatMap((value, i) => (Number.isFinite(value) && Number.isFinite(b[i]) && /** @type {number} */ (b[i]) > 0 ? [value / /** @type {number} */ (b[i])] : []));
  return ratios.length ? rounded(median(ratios), 2) : null;
}

/** The strategies a summary reports, and the concurrency levels, as its keys. */
export const SUMMARY_STRATEGIES = /** @type {const} */ (['kit', 'original']);
export const SUMMARY_CONCURRENCY = /** @type {const} */ (['1', '10']);

/**
 * Rounds to `digits` decimals; NaN (no figure) becomes null, which JSON keeps.
 * @param {number} value
 * @param {number} digits
 */
const rounded = (value, digits) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

/**
 * The bench's figures a script reads without parsing the table, for the run with the local
 * gateway's authorizer cache on (the AWS-like run): Keycloak calls per 1,000 warm requests and warm
 * p50 and CPU time per request relative to the no-auth baseline, by strategy (`kit`, `original`)
 * and concurrency (`"1"`, `"10"`); the cold chain's latency, calls and CPU time, and the kit's cold chain
 * relative to the original's (ratio of medians, and median of the same-minute pairs); the Keycloak
 * calls per 1,000 forged tokens. `p50VsOffPaired` is the kit's warm p50 relative to the no-auth chain's from
 * windows the two took in turn, side by side (median of the pairs' ratios, by concurrency): the figure the
 * warm-latency goal reads, since machine load that drifts between two runs cancels out of it. A figure
 * that was not measured is null. `assertionSigningUs` is the
 * median cost of one private_key_jwt assertion by algorithm ({@link measureAssertionSigning}), present
 * when it was measured.
 * @param {{
 *   warm: Record<string, Partial<Record<string, { per1000: RoundTrips, p50: number, cpuMsPerRequest?: number }>>>,
 *   baseline: Partial<Record<string, { p50: number, cpuMsPerRequest?: number }>>,
 *   cold?: Record<string, { ms: number, cpuMs?: number, calls: RoundTrips, samples?: { ms: number }[] } | undefined>,
 *   flood?: Record<string, Record<string, { per1000: RoundTrips }> | undefined>,
 *   signing?: Partial<Record<string, { medianUs: number }>>,
 *   pairedWarm?: Partial<Record<string, { kit: number[], off: number[] }>>,
 * }} figures `warm[strategy][concurrency]` of the gateway-cache-on run; `baseline[concurrency]` the
 *   no-auth strategy; `cold[strategy]` (samples in the order they were paired); `flood[strategy][forgery]`;
 *   `pairedWarm[concurrency]` the p50s of the kit's and the no-auth chain's side-by-side windows, in pair order
 */
export function benchSummary({ warm, baseline, cold = {}, flood = {}, signing, pairedWarm = {} }) {
  const total = (/** @type {RoundTrips} */ calls) => ROUND_TRIP_KINDS.reduce((n, kind) => n + calls[kind], 0);
  /** @type {Record<string, Record<string, number | null>>} */
  const kcCallsPer1000 = {};
  /** @type {Record<string, Record<string, number | null>>} */
  const p50VsOff = {};
  /** @type {Record<string, number | null>} */
  const cpuOff = {};
  /** @type {Record<string, Record<string, number | null>>} */
  const cpuMsPerRequest = { off: cpuOff };
  /** @type {Record<string, Record<string, number | null>>} */
  const cpuVsOff = {};
  const ratio = (/** @type {number | undefined} */ a, /** @type {number | undefined} */ b) =>
    typeof a === 'number' && typeof b === 'number' && b > 0 ? rounded(a / b, 2) : null;
  for (const concurrency of SUMMARY_CONCURRENCY) cpuOff[concurrency] = rounded(baseline[concurrency]?.cpuMsPerRequest ?? Number.NaN, 2);
  for (const strategy of SUMMARY_STRATEGIES) {
    kcCallsPer1000[strategy] = {};
    p50VsOff[strategy] = {};
    cpuMsPerRequest[strategy] = {};
    cpuVsOff[strategy] = {};
    for (const concurrency of SUMMARY_CONCURRENCY) {
      const figure = warm[strategy]?.[concurrency];
      const off = baseline[concurrency];
      kcCallsPer1000[strategy][concurrency] = figure ? rounded(total(figure.per1000), 1) : null;
      p50VsOff[strategy][concurrency] = ratio(figure?.p50, off?.p50);
      cpuMsPerRequest[strategy][concurrency] = rounded(figure?.cpuMsPerRequest ?? Number.NaN, 2);
      cpuVsOff[strategy][concurrency] = ratio(figure?.cpuMsPerRequest, off?.cpuMsPerRequest);
    }
  }
  /** @type {Record<string, { ms: number | null, kcCalls: number | null, cpuMs?: number | null }>} */
  const coldChain = {};
  for (const [strategy, figure] of Object.entries(cold)) {
    if (!figure) continue;
    coldChain[strategy] = {
      ms: rounded(figure.ms, 0),
      kcCalls: rounded(total(figure.calls), 1),
      ...(figure.cpuMs === undefined ? {} : { cpuMs: rounded(figure.cpuMs, 0) }),
    };
  }
  const kitCold = coldChain.kit?.ms;
  const originalCold = coldChain.original?.ms;
  /** @type {Record<string, Record<string, number | null>>} */
  const forgedPer1000 = {};
  for (const [strategy, byKind] of Object.entries(flood)) {
    if (!byKind) continue;
    forgedPer1000[strategy] = Object.fromEntries(Object.entries(byKind).map(([kind, figure]) => [kind, rounded(total(figure.per1000), 1)]));
  }
  return {
    gatewayCache: 'on',
    kcCallsPer1000,
    p50VsOff,
    p50VsOffPaired: { kit: Object.fromEntries(SUMMARY_CONCURRENCY.map((c) => [c, pairedRatio(pairedWarm[c]?.kit ?? [], pairedWarm[c]?.off ?? [])])) },
    coldChain,
    coldKitVsOriginal: typeof kitCold === 'number' && typeof originalCold === 'number' && originalCold > 0 ? rounded(kitCold / originalCold, 2) : null,
    coldKitVsOriginalPaired: pairedRatio((cold.kit?.samples ?? []).map((x) => x.ms), (cold.original?.samples ?? []).map((x) => x.ms)),
    cpuMsPerRequest,
    cpuVsOff,
    forgedPer1000,
    ...(signing
      ? { assertionSigningUs: Object.fromEntries(Object.entries(signing).map(([alg, figure]) => [alg, figure ? rounded(figure.medianUs, 0) : null])) }
      : {}),
  };
}

/** The algorithms whose signing cost the bench measures: the two the library signs client assertions with. */
export const ASSERTION_ALGORITHMS = /** @type {const} */ (['ES256', 'RS256']);

/**
 * The cost of client authentication by signed JWT, per Keycloak call: building one `private_key_jwt`
 * assertion with the library (`privateKeyJwt(…).apply`: a new `jti`, the claims, the signature), as
 * each of B's token, introspection and exchange requests does. Per algorithm (ES256 on P-256, RS256 on
 * RSA-2048), `samples` assertions after `warmup` unmeasured ones; median and p95 in microseconds.
 * @param {{ samples?: number, warmup?: number, now?: () => number }} [options]
 * @returns {Promise<Record<(typeof ASSERTION_ALGORITHMS)[number], { samples: number, medianUs: number, p95Us: number }>>}
 */
export async function measureAssertionSigning({ samples = 1000, warmup = 50, now = () => performance.now() } = {}) {
  const keys = {
    ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  };
  /** @type {Record<string, { samples: number, medianUs: number, p95Us: number }>} */
  const figures = {};
  for (const alg of ASSERTION_ALGORITHMS) {
    const auth = privateKeyJwt('bench-client', keys[alg], { kid: 'bench', alg, audience: 'http://127.0.0.1/realms/bench' });
    /** @type {number[]} */
    const timesUs = [];
    for (let i = 0; i < warmup + samples; i += 1) {
      const body = new URLSearchParams();
      const start = now();
      await auth.apply(new Headers(), body);
      if (i >= warmup) timesUs.push((now() - start) * 1000);
    }
    const sorted = timesUs.sort((a, b) => a - b);
    figures[alg] = { samples, medianUs: median(sorted), p95Us: percentile(sorted, 95) };
  }
  return /** @type {any} */ (figures);
}

/**
 * The bench's table of the signing cost (see {@link measureAssertionSigning}): one row per algorithm,
 * median and p95 per assertion in microseconds.
 * @param {Partial<Record<string, { samples: number, medianUs: number, p95Us: number }>>} figures
 */
export function formatSigningCost(figures) {
  const rows = ASSERTION_ALGORITHMS.filter((alg) => figures[alg]).map((alg) => {
    const figure = /** @type {{ samples: number, medianUs: number, p95Us: number }} */ (figures[alg]);
    return [alg === 'ES256' ? 'ES256 (P-256, service-b)' : 'RS256 (RSA-2048)', figure.samples, figure.medianUs.toFixed(0), figure.p95Us.toFixed(0)];
  });
  return formatTable(['assertion', 'samples', 'median µs', 'p95 µs'], rows);
}
