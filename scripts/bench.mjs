// @ts-check
/**
 * `npm run bench`: the cost of auth, in one run on one machine, through the real local stack
 * (Keycloak, the Secrets Manager emulator, serverless offline). Three strategies, each a restart of
 * serverless offline at stage `bench` with `BENCH_AUTH_STRATEGY` (serverless.yml `custom.handlers`, bench/):
 *   kit       the production path: verdict cache + local JWT check, cached client-credentials and
 *             exchanged tokens;
 *   off       no auth at all (`--noAuth`, no tokens): the baseline the kit's overhead is measured against;
 *   original  the original write-up: introspect every request, a new token and a new exchange per call.
 * All three log and measure alike (bench/observability.ts), so they differ in how they authenticate only.
 * The kit and the original strategy run twice: with the local gateway's authorizer result cache on
 * (`OFFLINE_AUTHORIZER_CACHE=on`, API Gateway's behaviour: the AWS-like run) and off (every request
 * invokes the authorizers); the no-auth baseline has no authorizer, so it runs once per round.
 * Figures: Keycloak round-trips per 1,000 warm requests to A's route by kind (concurrency 1 and 10),
 * latency percentiles and throughput, the kit's warm p50 against the no-auth chain's from windows the
 * two take in turn side by side (the warm goal's figure), Keycloak calls per 1,000 forged tokens, the
 * cold path (fresh function instances: `--reloadHandler`), and each bundle's size and module
 * initialisation time.
 * Keycloak and the emulator are reused when up, else started and stopped again; serverless offline
 * is the bench's own and needs its ports free. Every load loop is bounded in count and time and
 * targets 127.0.0.1 only. Results: a table on stdout and JSON in bench/results/<timestamp>.json,
 * whose `summary` holds the gateway-cache-on figures for scripts (scripts/lib/bench.mjs, benchSummary).
 *
 * Options: --rounds=N (fresh serverless offline per strategy and round, in alternating order; default 4:
 * one process's warm figures scatter by up to a third from the next one's, so processes beat runs),
 * --runs=N (measured runs per round; default 1), --seconds=S (bound of each run; default 5).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishDevPublicKeys, startKeycloak, stopKeycloak, waitForRealm } from '../keycloak/keycloak.mjs';
import { bundleSizes, packageService, readZipEntry } from './bundle-size.mjs';
import {
  FORGERY_KINDS,
  countColdStarts,
  processCpuMs,
  ROUND_TRIP_KINDS,
  assertLoopback,
  benchSummary,
  countRoundTrips,
  forgeToken,
  formatSigningCost,
  invocationTimes,
  formatTable,
  measureAssertionSigning,
  matchesKeycloak,
  median,
  noRoundTrips,
  parseKeycloakMetrics,
  percentile,
  runLoad,
  summarize,
} from './lib/bench.mjs';
import { projectRoot, stackConfig } from './lib/config.mjs';
import { startOffline, stopOffline } from './lib/offline.mjs';
import { clientCredentialsGrant, realmEndpoints } from './lib/oidc.mjs';
import { StackError, isPortOpen } from './lib/proc.mjs';
import { devSecrets, seedSecrets, startSecretsEmulator, stopSecretsEmulator } from './lib/secrets.mjs';

/** @typedef {'kit' | 'off' | 'original'} Strategy */
/** @typedef {'on' | 'off' | 'none'} GatewayCache the local gateway's authorizer cache; `none`: no authorizer at all */
/** @typedef {import('./lib/bench.mjs').RoundTrips} RoundTrips */

const option = (/** @type {string} */ name, /** @type {number} */ fallback) => {
  const given = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  const value = given ? Number(given.split('=')[1]) : fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new StackError(`--${name} must be a positive number`);
  return value;
};

const ROUNDS = option('rounds', 4);
const RUNS = option('runs', 1);
const RUN_MS = option('seconds', 5) * 1000;
/** Upper bounds of one run's requests; the time bound usually ends a run first. */
const MAX_REQUESTS = { 1: 400, 10: 1000 };
const WARMUP_REQUESTS = { 1: 10, 10: 100 };
/** The warm-up repeats its batch until one creates no new instance, at most this often. */
const MAX_WARMUP_BATCHES = 8;
/**
 * Then it runs this much more load, unmeasured, so that V8 has optimised the code each request runs
 * (serverless offline's gateway and every function instance) before a run is timed: a fresh process
 * answers its first ~1,500 requests at concurrency 1 up to a fifth slower than later ones, and more so
 * the more code a request runs (docs/performance.md). A slow strategy stops at the time bound.
 */
const JIT_WARMUP = { requests: 1500, ms: 8000 };
/**
 * Cold samples per strategy. One cold chain's time scatters widely from one sample to the next here
 * (604 to 864 ms for the kit in one run of 25), and the goal compares strategies a few percent apart:
 * with 25 pairs, an A/A run (the kit against a second copy of itself, scratch script) gave 1.01×.
 */
const COLD_SAMPLES = 25;
/**
 * The cold path, and the paired warm windows, run the strategies' serverless offline side by side, each
 * on its own ports (`OFFLINE_HTTP_PORT` / `OFFLINE_LAMBDA_PORT` plus this offset), and take their samples
 * in turn, so a machine getting busier or quieter weighs on each alike.
 */
const SIDE_BY_SIDE_PORT_OFFSET = /** @type {Record<Strategy, number>} */ ({ kit: 0, original: 20, off: 40 });
/**
 * The warm-latency goal's figure: the kit (gateway cache on) and the no-auth chain side by side, warm,
 * answering windows of load in turn (alternating who goes first), in `PAIRED_PROCESSES` pairs of fresh
 * serverless offline processes, `PAIRED_WINDOWS` pairs of windows per process pair and concurrency,
 * each window at most `MAX_REQUESTS` or `PAIRED_WINDOW_MS`. Separate runs of the two, even in
 * alternating rounds, sit tens of seconds apart, and on a shared 2-core machine the p50 of one
 * strategy moves by half from one such moment to the next; a pair is taken within seconds, and more
 * than one process pair keeps one slow process from deciding the figure.
 */
const PAIRED_PROCESSES = 2;
const PAIRED_WINDOWS = 4;
const PAIRED_WINDOW_MS = 3000;
const FLOOD_PER_KIND = 200;
const INIT_RUNS = 5;
/** Kit first, then the baseline, then the original strategy: each in a fresh serverless offline. */
const STRATEGIES = /** @type {Strategy[]} */ (['kit', 'off', 'original']);
/**
 * The warm runs of a round, each in a fresh serverless offline: the AWS-like runs (gateway cache on)
 * and the baseline first, then the runs with the gateway cache off.
 * @type {{ strategy: Strategy, gateway: GatewayCache }[]}
 */
const WARM_CELLS = [
  { strategy: 'kit', gateway: 'on' },
  { strategy: 'off', gateway: 'none' },
  { strategy: 'original', gateway: 'on' },
  { strategy: 'kit', gateway: 'off' },
  { strategy: 'original', gateway: 'off' },
];
const GATEWAY_LABEL = { on: 'on', off: 'off', none: '-' };
const OFFLINE_NAME = 'offline-bench';

const config = stackConfig({ ...process.env, STAGE: 'bench' });
const ROUTE_B = `${config.apiUrl}/api/process`;
const log = (/** @type {string} */ line) => console.log(`[bench] ${line}`);
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the bench started and must stop. */
const started = { keycloak: false, moto: false };

// ---------------------------------------------------------------------------------------------
// Counting Keycloak round-trips in a window

async function keycloakMetrics() {
  try {
    const response = await fetch(`http://${config.host}:${config.keycloakManagementPort}/metrics`, { signal: AbortSignal.timeout(3000) });
    return response.ok ? parseKeycloakMetrics(await response.text()) : undefined;
  } catch {
    return undefined; // an external Keycloak may not expose metrics: the functions' count stands alone
  }
}

/** @param {string} file */
const fileSize = (file) => (existsSync(file) ? statSync(file).size : 0);

/**
 * What was appended to `file` since byte `from`.
 * @param {string} file
 * @param {number} from
 */
function readFrom(file, from) {
  const length = fileSize(file) - from;
  if (length <= 0) return '';
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, from);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/**
 * Runs `action` and counts the Keycloak round-trips it caused: the functions' debug lines (by kind)
 * and Keycloak's /metrics (by endpoint), waiting until the two agree or a few seconds have passed
 * (worker threads flush their log lines asynchronously).
 * @template T
 * @param {string} logFile
 * @param {() => Promise<T>} action
 * @returns {Promise<{ result: T, calls: RoundTrips, byService: Record<string, RoundTrips>, times: ReturnType<typeof invocationTimes>, coldStarts: number, keycloak?: import('./lib/bench.mjs').KeycloakEndpointCounts, agrees?: boolean }>}
 */
async function counted(logFile, action) {
  const offset = fileSize(logFile);
  const before = await keycloakMetrics();
  const result = await action();
  const deadline = Date.now() + 4000;
  let previous = -1;
  for (;;) {
    await sleep(150);
    const text = readFrom(logFile, offset);
    const { total, byService } = countRoundTrips(text);
    const after = before && (await keycloakMetrics());
    const keycloak = before && after ? { token: after.token - before.token, introspect: after.introspect - before.introspect, certs: after.certs - before.certs } : undefined;
    const sum = ROUND_TRIP_KINDS.reduce((n, kind) => n + total[kind], 0);
    const agrees = keycloak ? matchesKeycloak(total, keycloak) : undefined;
    if (agrees || (keycloak === undefined && sum === previous) || Date.now() > deadline) {
      return { result, calls: total, byService, times: invocationTimes(text), coldStarts: countColdStarts(text), ...(keycloak ? { keycloak, agrees } : {}) };
    }
    previous = sum;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

/** A's route on a serverless offline of its own ports. @param {BenchOffline} offline */
const requestAOf = (offline) => () => ({ url: `${offline.config.apiUrl}/run-service-b` });

/** @param {string} token */
const requestB = (token) => ({
  url: ROUTE_B,
  init: { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ order_id: 1, amount: 1 }) },
});

/**
 * Brings A's route in one serverless offline to warm: batches until one creates no new function instance
 * (a new instance's start, its secret and its first tokens are cold-path cost, measured in the cold path),
 * then the unmeasured JIT warm-up. Returns what it ran.
 * @param {BenchOffline} offline
 * @param {1 | 10} concurrency
 */
async function warmUp(offline, concurrency) {
  const request = requestAOf(offline);
  /** @type {Awaited<ReturnType<typeof counted<Awaited<ReturnType<typeof runLoad>>>>>[]} */
  const batches = [];
  do {
    batches.push(await counted(offline.logFile, () => runLoad({ request, concurrency, maxRequests: WARMUP_REQUESTS[concurrency], maxMs: 60_000 })));
  } while (/** @type {any} */ (batches.at(-1)).coldStarts > 0 && batches.length < MAX_WARMUP_BATCHES);
  const jit = await counted(offline.logFile, () => runLoad({ request, concurrency, maxRequests: JIT_WARMUP.requests, maxMs: JIT_WARMUP.ms }));
  return {
    batches: batches.length,
    requests: batches.reduce((n, batch) => n + batch.result.latencies.length, 0),
    coldStarts: batches.map((batch) => batch.coldStarts),
    statuses: batches.map((batch) => batch.result.statuses),
    calls: batches.map((batch) => batch.calls),
    /** the unmeasured load after the instances exist, so that the runs meet optimised code */
    jit: { requests: jit.result.latencies.length, coldStarts: jit.coldStarts, statuses: jit.result.statuses, p50: summarize(jit.result.latencies, jit.result.wallMs).p50 },
  };
}

/**
 * A's route under load, warm, in one serverless offline: {@link warmUp}, then `RUNS` measured runs.
 * @param {BenchOffline} offline
 * @param {1 | 10} concurrency
 */
async function warmRuns(offline, concurrency) {
  const { logFile, pid } = offline;
  const warmup = await warmUp(offline, concurrency);
  const request = requestAOf(offline);
  const runs = [];
  for (let run = 0; run < RUNS; run += 1) {
    const cpuBefore = processCpuMs(pid);
    const window = await counted(logFile, () => runLoad({ request, concurrency, maxRequests: MAX_REQUESTS[concurrency], maxMs: RUN_MS }));
    // Read after `counted` has waited for the log lines: the CPU of writing them is part of the cost.
    const cpuAfter = processCpuMs(pid);
    const decisions = [...window.times.decisions].sort((a, b) => a - b);
    runs.push({
      ...summarize(window.result.latencies, window.result.wallMs),
      statuses: window.result.statuses,
      /** invocations on a new instance during the run (0 when the warm-up created them all) */
      coldStarts: window.coldStarts,
      /** serverless offline's CPU time (every function instance and the local gateway), ms */
      cpuMs: cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : cpuAfter - cpuBefore,
      calls: window.calls,
      byService: window.byService,
      keycloak: window.keycloak,
      agrees: window.agrees,
      /** how many times serverless offline invoked each function */
      invocations: Object.fromEntries(Object.entries(window.times.durations).map(([name, values]) => [name, values.length])),
      /** serverless offline's Duration of each function's invocations, median ms */
      invocationMs: Object.fromEntries(Object.entries(window.times.durations).map(([name, values]) => [name, median(values)])),
      /** the authorizers' own decision time (their latency_ms: whole ms) */
      decisionMs: { p50: percentile(decisions, 50), p99: percentile(decisions, 99) },
    });
  }
  return { warmup, runs };
}

/**
 * The warm-latency goal's figure: the kit (gateway cache on) and the no-auth chain in two serverless
 * offline side by side, each brought to warm, then pairs of windows at each concurrency, taken in
 * turn (who goes first alternates); `PAIRED_PROCESSES` times with fresh processes. Returns each
 * window's p50 and statuses, in pair order.
 * @returns {Promise<Record<'1' | '10', { kit: number[], off: number[], statuses: { kit: Record<string, number>[], off: Record<string, number>[] } }>>}
 */
async function pairedWarmFigures() {
  const sides = /** @type {const} */ (['kit', 'off']);
  const newFigure = () => ({ kit: /** @type {number[]} */ ([]), off: /** @type {number[]} */ ([]), statuses: { kit: /** @type {any[]} */ ([]), off: /** @type {any[]} */ ([]) } });
  const figures = { 1: newFigure(), 10: newFigure() };
  for (let processes = 0; processes < PAIRED_PROCESSES; processes += 1) {
    /** @type {Partial<Record<'kit' | 'off', BenchOffline>>} */
    const instances = {};
    try {
      for (const side of sides) instances[side] = await startBenchOffline(side, { sideBySide: true, gateway: 'on' });
      for (const concurrency of /** @type {const} */ ([1, 10])) {
        for (const side of sides) await warmUp(/** @type {BenchOffline} */ (instances[side]), concurrency);
        for (let pair = 0; pair < PAIRED_WINDOWS; pair += 1) {
          for (const side of (pair + processes) % 2 ? [...sides].reverse() : sides) {
            const offline = /** @type {BenchOffline} */ (instances[side]);
            const window = await runLoad({ request: requestAOf(offline), concurrency, maxRequests: MAX_REQUESTS[concurrency], maxMs: PAIRED_WINDOW_MS });
            figures[concurrency][side].push(summarize(window.latencies, window.wallMs).p50);
            figures[concurrency].statuses[side].push(window.statuses);
          }
        }
      }
    } finally {
      for (const instance of Object.values(instances)) await stopBenchOffline(instance);
    }
  }
  return { '1': figures[1], '10': figures[10] };
}

/**
 * One figure from the runs of every round: round-trips summed and scaled to 1,000 requests,
 * latencies and throughput as medians across runs.
 * @param {Awaited<ReturnType<typeof warmRuns>>[]} rounds
 */
function warmFigure(rounds) {
  const runs = rounds.flatMap((round) => round.runs);
  const requests = runs.reduce((n, run) => n + run.requests, 0);
  const calls = noRoundTrips();
  for (const run of runs) for (const kind of ROUND_TRIP_KINDS) calls[kind] += run.calls[kind];
  const functions = [...new Set(runs.flatMap((run) => Object.keys(run.invocationMs)))];
  return {
    warmups: rounds.map((round) => round.warmup),
    runs,
    requests,
    calls,
    per1000: perThousand(calls, requests),
    agrees: allAgree(runs),
    p50: median(runs.map((run) => run.p50)),
    p95: median(runs.map((run) => run.p95)),
    p99: median(runs.map((run) => run.p99)),
    rps: median(runs.map((run) => run.rps)),
    /** serverless offline's CPU time per request over every run (NaN where it cannot be read) */
    cpuMsPerRequest: requests ? runs.reduce((n, run) => n + run.cpuMs, 0) / requests : Number.NaN,
    /** invocations on a new instance during the measured runs, and the warm-up batches before them */
    coldStarts: runs.reduce((n, run) => n + run.coldStarts, 0),
    warmupBatches: rounds.map((round) => round.warmup.batches),
    invocationMs: Object.fromEntries(functions.map((name) => [name, median(runs.flatMap((run) => run.invocationMs[name] ?? []))])),
    invocations: Object.fromEntries(functions.map((name) => [name, runs.reduce((n, run) => n + (run.invocations[name] ?? 0), 0)])),
    decisionMs: { p50: median(runs.map((run) => run.decisionMs.p50).filter(Number.isFinite)), p99: median(runs.map((run) => run.decisionMs.p99).filter(Number.isFinite)) },
  };
}

/**
 * Whether every window's count matched Keycloak's; undefined when Keycloak exposed no metrics.
 * @param {{ agrees?: boolean }[]} windows
 */
function allAgree(windows) {
  if (windows.some((w) => w.agrees === false)) return false;
  return windows.some((w) => w.agrees === true) ? true : undefined;
}

/** @param {RoundTrips} calls @param {number} requests */
function perThousand(calls, requests) {
  const scaled = noRoundTrips();
  for (const kind of ROUND_TRIP_KINDS) scaled[kind] = requests ? (calls[kind] * 1000) / requests : Number.NaN;
  return scaled;
}

/**
 * Forged tokens against B's route, concurrency 10: what each costs in Keycloak calls.
 * @param {string} logFile
 * @param {string} realToken
 * @returns {Promise<{ byKind: Record<string, unknown>, warmupBursts: { requests: number, keycloakCalls: number }[] }>}
 */
async function floodFigures(logFile, realToken) {
  // Unmeasured: bursts at the flood's concurrency bring up the authorizer instances it needs, so what is
  // measured is the cost of the forged tokens themselves. A new instance decides its first look-alike by
  // introspection (once per instance, `firstTokenByIntrospection`) and loads the key set with its next one,
  // and one burst can start an instance that answers a single token of it: the burst is repeated until
  // one makes no Keycloak call (at most MAX_WARMUP_BATCHES), or one costs a call per token: a per-token
  // cost never goes quiet, and the measured flood shows it.
  /** @type {{ requests: number, keycloakCalls: number }[]} */
  const bursts = [];
  for (;;) {
    const window = await counted(logFile, () =>
      runLoad({ request: () => requestB(forgeToken('forged-signature', realToken)), concurrency: 10, maxRequests: 50, maxMs: 4 * RUN_MS }),
    );
    const burst = { requests: window.result.latencies.length, keycloakCalls: ROUND_TRIP_KINDS.reduce((n, kind) => n + window.calls[kind], 0) };
    bursts.push(burst);
    // A burst that cost a call per token shows a per-token cost (the original strategy): more will not go quiet.
    if (burst.keycloakCalls === 0 || burst.keycloakCalls >= burst.requests || bursts.length >= MAX_WARMUP_BATCHES) break;
  }
  /** @type {Record<string, unknown>} */
  const byKind = {};
  for (const kind of FORGERY_KINDS) {
    const window = await counted(logFile, () =>
      runLoad({ request: () => requestB(forgeToken(kind, realToken)), concurrency: 10, maxRequests: FLOOD_PER_KIND, maxMs: 4 * RUN_MS }),
    );
    const requests = window.result.latencies.length;
    byKind[kind] = { requests, statuses: window.result.statuses, calls: window.calls, per1000: perThousand(window.calls, requests), keycloak: window.keycloak, agrees: window.agrees };
  }
  return { byKind, warmupBursts: bursts };
}

/**
 * One request through a fully cold chain of `offline` (started with `--reloadHandler`: every invocation
 * gets a fresh instance, a new worker thread with the module loaded anew and every cache empty).
 * @param {BenchOffline} offline
 */
async function coldSample(offline) {
  const cpuBefore = processCpuMs(offline.pid);
  const window = await counted(offline.logFile, async () => {
    const t0 = performance.now();
    const response = await fetch(`${offline.config.apiUrl}/run-service-b`, { signal: AbortSignal.timeout(60_000) });
    await response.arrayBuffer();
    return { ms: performance.now() - t0, status: response.status };
  });
  // The chain's CPU time in its serverless offline (five fresh worker threads, module loads included):
  // on a machine where every server is local, CPU is most of a cold chain's latency.
  const cpuAfter = processCpuMs(offline.pid);
  const cpuMs = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : cpuAfter - cpuBefore;
  /** serverless offline's Duration of each function's invocation in this chain, ms (a caller's includes its callee's) */
  const invocationMs = Object.fromEntries(Object.entries(window.times.durations).map(([name, values]) => [name, median(values)]));
  return { ms: window.result.ms, cpuMs, invocationMs, status: window.result.status, calls: window.calls, keycloak: window.keycloak, agrees: window.agrees };
}

/**
 * The cold path of every strategy, with the gateway cache on (every cold request brings new tokens, so
 * it cannot answer): the strategies' serverless offline run side by side and take their samples in
 * turn (kit, original, off, then the next order), so each kit sample has an original one from the same
 * minute. One unmeasured request per instance first: serverless offline's own first-request work is
 * not the kit's.
 * @returns {Promise<Record<Strategy, { samples: Awaited<ReturnType<typeof coldSample>>[], ms: number, calls: RoundTrips }>>}
 */
async function coldFigures() {
  /** @type {Partial<Record<Strategy, BenchOffline>>} */
  const instances = {};
  try {
    for (const strategy of STRATEGIES) instances[strategy] = await startBenchOffline(strategy, { cold: true, sideBySide: true, gateway: 'on' });
    for (const strategy of STRATEGIES) await coldSample(/** @type {BenchOffline} */ (instances[strategy]));
    /** @type {Record<string, Awaited<ReturnType<typeof coldSample>>[]>} */
    const samples = {};
    for (let i = 0; i < COLD_SAMPLES; i += 1) {
      const order = [...STRATEGIES.slice(i % STRATEGIES.length), ...STRATEGIES.slice(0, i % STRATEGIES.length)];
      for (const strategy of order) (samples[strategy] ??= []).push(await coldSample(/** @type {BenchOffline} */ (instances[strategy])));
    }
    return /** @type {any} */ (
      Object.fromEntries(
        STRATEGIES.map((strategy) => {
          const own = samples[strategy] ?? [];
          const calls = noRoundTrips();
          for (const kind of ROUND_TRIP_KINDS) calls[kind] = median(own.map((sample) => sample.calls[kind]));
          const functions = [...new Set(own.flatMap((sample) => Object.keys(sample.invocationMs)))];
          const invocationMs = Object.fromEntries(functions.map((name) => [name, median(own.flatMap((sample) => sample.invocationMs[name] ?? []))]));
          return [strategy, { samples: own, ms: median(own.map((sample) => sample.ms)), cpuMs: median(own.map((sample) => sample.cpuMs)), invocationMs, calls }];
        }),
      )
    );
  } finally {
    for (const instance of Object.values(instances)) await stopBenchOffline(instance);
  }
}

// ---------------------------------------------------------------------------------------------
// The stack

async function ensureKeycloakAndSecrets() {
  if (config.externalKeycloakUrl || (await isPortOpen(config.host, config.keycloakPort))) {
    log(`reusing the Keycloak at ${config.keycloakUrl}`);
    await waitForRealm(config, 30_000);
    // The bench's own state folder holds its own dev keys: the Keycloak it reuses must know their public halves.
    await publishDevPublicKeys(config, (line) => log(`keycloak: ${line}`));
  } else {
    log('starting Keycloak (not counted in the bench time; ~1-2 min)…');
    started.keycloak = true;
    await startKeycloak(config, (line) => log(`keycloak: ${line}`));
  }
  if (await isPortOpen(config.host, config.secretsPort)) {
    log(`reusing the Secrets Manager emulator at ${config.secretsEndpoint}`);
  } else {
    started.moto = true;
    await startSecretsEmulator(config);
  }
  await seedSecrets(config);
}

/**
 * @typedef {{ strategy: Strategy, config: ReturnType<typeof stackConfig>, logFile: string, pid: number }} BenchOffline
 * a serverless offline the bench started: its stack settings (ports), its log and its process
 */

/** The bench's serverless offline instances still running, for the clean-up on an interrupt. */
const running = new Set(/** @type {BenchOffline[]} */ ([]));

/**
 * Starts serverless offline at stage bench under `strategy`, with the local gateway's authorizer cache
 * on or off (`gateway`; ignored by the no-auth strategy, which has no authorizer), every invocation on a
 * fresh instance if `cold`. `sideBySide` puts it on the strategy's own ports (`SIDE_BY_SIDE_PORT_OFFSET`),
 * so the strategies can run at the same time.
 * @param {Strategy} strategy
 * @param {{ cold?: boolean, sideBySide?: boolean, gateway?: GatewayCache }} options
 * @returns {Promise<BenchOffline>}
 */
async function startBenchOffline(strategy, { cold = false, sideBySide = false, gateway = 'on' }) {
  const offset = sideBySide ? SIDE_BY_SIDE_PORT_OFFSET[strategy] : 0;
  const ports = { OFFLINE_HTTP_PORT: String(config.httpPort + offset), OFFLINE_LAMBDA_PORT: String(config.lambdaPort + offset) };
  const own = offset === 0 ? config : stackConfig({ ...process.env, ...ports, STAGE: 'bench' });
  const args = [
    ...(strategy === 'off' ? ['--noAuth'] : []),
    // A new instance per invocation, and idle ones reaped after a second (they pile up otherwise).
    ...(cold ? ['--reloadHandler', '--terminateIdleLambdaTime', '1'] : []),
  ];
  const env = { BENCH_AUTH_STRATEGY: strategy, OFFLINE_AUTHORIZER_CACHE: gateway === 'off' ? 'off' : 'on' };
  const service = await startOffline(own, { name: OFFLINE_NAME, args, env });
  const offline = { strategy, config: own, logFile: service.logFile, pid: service.pid };
  running.add(offline);
  return offline;
}

/** @param {BenchOffline} offline */
async function stopBenchOffline(offline) {
  await stopOffline(offline.config, OFFLINE_NAME);
  running.delete(offline);
}

/**
 * Runs `work` with a warm serverless offline at stage bench under `strategy` (see {@link startBenchOffline}).
 * @template T
 * @param {Strategy} strategy
 * @param {{ gateway?: GatewayCache }} options
 * @param {(offline: BenchOffline) => Promise<T>} work
 */
async function withOffline(strategy, { gateway = 'on' }, work) {
  const offline = await startBenchOffline(strategy, { gateway });
  try {
    return await work(offline);
  } finally {
    await stopBenchOffline(offline);
  }
}

async function cleanUp() {
  for (const offline of [...running]) await stopBenchOffline(offline);
  if (started.moto) await stopSecretsEmulator(config);
  if (started.keycloak) await stopKeycloak(config);
}

/** A client-credentials token of service-a straight from Keycloak: the model of the forgeries. */
async function realTokenOfA() {
  const secret = devSecrets(config).find((s) => s.value.client_id === 'service-a');
  if (!secret) throw new StackError('no dev secret for service-a');
  const answer = await clientCredentialsGrant(realmEndpoints(config.keycloakUrl, config.realm), { clientId: 'service-a', clientSecret: secret.value.client_secret });
  if (answer.status !== 200 || typeof answer.body.access_token !== 'string') {
    throw new StackError(`Keycloak refused service-a's client credentials: HTTP ${answer.status}`);
  }
  return answer.body.access_token;
}

// ---------------------------------------------------------------------------------------------
// Bundles

/**
 * Each function's zip and bundle size (the deploy packaging of scripts/bundle-size.mjs), and the
 * median time a fresh Node process takes to evaluate the bundle (`require`), with the environment
 * the function gets in Lambda; nothing else of the process start is timed.
 */
function bundleFigures() {
  const packaged = packageService({ stage: 'ci', params: { keycloakUrl: 'https://keycloak.invalid' } });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'keycloak-s2s-bench-'));
  try {
    return bundleSizes(packaged.artifacts).map((row) => {
      const zip = /** @type {string} */ (packaged.artifacts[row.name]);
      const dir = path.join(scratch, row.name);
      for (const file of row.files) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), readZipEntry(zip, file));
      }
      const bundle = row.files.find((file) => /\.c?js$/.test(file));
      if (!bundle) throw new StackError(`${row.name}: no bundle in ${zip}`);
      const env = lambdaEnvironment(packaged.template, row.name);
      const initMs = [];
      for (let run = 0; run < INIT_RUNS; run += 1) initMs.push(moduleInitMs(path.join(dir, bundle), env));
      return { name: row.name, zipBytes: row.zipBytes, bundleBytes: row.bundleBytes, sourceMapBytes: row.sourceMapBytes, initMs: median(initMs), initRunsMs: initMs };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    packaged.remove();
  }
}

/**
 * The environment a function gets in Lambda, from the packaged template; CloudFormation expressions
 * (the API URL) become a placeholder URL, since loading the module never calls it.
 * @param {any} template
 * @param {string} functionName
 * @returns {Record<string, string>}
 */
function lambdaEnvironment(template, functionName) {
  const logicalId = `${functionName.charAt(0).toUpperCase()}${functionName.slice(1)}LambdaFunction`;
  const variables = template.Resources?.[logicalId]?.Properties?.Environment?.Variables ?? {};
  /** @type {Record<string, string>} */
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' };
  for (const [name, value] of Object.entries(variables)) env[name] = typeof value === 'string' ? value : 'https://api.invalid/ci';
  return env;
}

/**
 * Milliseconds a fresh Node process spends evaluating `bundle` (require), measured inside it.
 * @param {string} bundle
 * @param {Record<string, string>} env
 */
function moduleInitMs(bundle, env) {
  const script = `const t=performance.now();require(${JSON.stringify(bundle)});process.stdout.write(String(performance.now()-t))`;
  const run = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new StackError(`loading ${bundle} failed: ${run.stderr}`);
  return Number(run.stdout);
}

// ---------------------------------------------------------------------------------------------
// Report

const fixed = (/** @type {number} */ value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
/** A ratio of the summary (rounded to 2 decimals there, or null) as `1.05×`. */
const ratioText = (/** @type {number | null | undefined} */ ratio) => (typeof ratio === 'number' ? `${fixed(ratio, 2)}×` : 'n/a');
const whole = (/** @type {number} */ value) => (Number.isFinite(value) ? String(Math.round(value)) : 'n/a');

function machine() {
  const cpus = os.cpus();
  let keycloakVersion = config.keycloakVersion;
  if (config.externalKeycloakUrl) keycloakVersion = 'external';
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
    /** @type {number[]} */
    loadAverageAtEnd: [],
    keycloak: keycloakVersion,
    serverlessOffline: packageVersion('serverless-offline'),
  };
}

/** @param {string} name */
function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit() {
  try {
    // `-dirty` when the working tree has changes: the result is then not exactly that commit's.
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: projectRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** @param {any} results */
function report(results) {
  const { strategies } = results;
  const lines = [];
  const m = results.machine;
  lines.push(`Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAverage.join(' ')} at start, ${m.loadAverageAtEnd.join(' ')} at end`);
  lines.push(`Stack: Keycloak ${m.keycloak}, serverless-offline ${m.serverlessOffline}, verdict cache cap ${results.settings.introspectionCacheTtlSeconds} s; commit ${results.commit}`);
  lines.push(`Runs: ${ROUNDS * RUNS} per figure (${ROUNDS} rounds in alternating order × ${RUNS}), each ≤ ${RUN_MS / 1000} s; medians across runs. Shared machine: compare ratios, not absolutes.`);

  lines.push(
    '',
    '1. Keycloak round-trips per 1,000 warm requests to GET /run-service-b, with the local gateway\'s authorizer cache on (as API Gateway) and off',
    '   (goal for the kit with the cache on: 0 at concurrency 1, ≤ 40 at 10)',
  );
  const callRows = [];
  for (const concurrency of [1, 10]) {
    for (const strategy of ['original', 'kit']) {
      for (const gateway of /** @type {const} */ (['on', 'off'])) {
        const warm = strategies[strategy]?.warm?.[gateway]?.[concurrency];
        if (!warm) continue;
        const total = ROUND_TRIP_KINDS.reduce((n, kind) => n + warm.per1000[kind], 0);
        callRows.push([strategy, gateway, concurrency, warm.requests, ...ROUND_TRIP_KINDS.map((kind) => whole(warm.per1000[kind])), whole(total), agreement(warm.agrees)]);
      }
    }
  }
  lines.push(formatTable(['strategy', 'gateway cache', 'conc', 'requests', 'token', 'introspect', 'exchange', 'jwks', 'total', '= /metrics'], callRows));
  for (const gateway of /** @type {const} */ (['on', 'off'])) {
    for (const concurrency of [1, 10]) {
      const kit = strategies.kit?.warm?.[gateway]?.[concurrency];
      if (kit) lines.push(`kit, gateway cache ${gateway}, concurrency ${concurrency}, by function (per 1,000): ${byFunction(kit)}`);
    }
  }

  lines.push('', `2. Latency of GET /run-service-b, warm (ms; medians of ${ROUNDS * RUNS} runs; goal: kit p50 ≤ 1.15 × off with the gateway cache on, read from the side-by-side pairs below)`);
  const latencyRows = [];
  for (const concurrency of [1, 10]) {
    const off = strategies.off?.warm?.none?.[concurrency];
    for (const [strategy, gateway] of /** @type {const} */ ([['off', 'none'], ['kit', 'on'], ['kit', 'off'], ['original', 'on'], ['original', 'off']])) {
      const warm = strategies[strategy]?.warm?.[gateway]?.[concurrency];
      if (!warm) continue;
      latencyRows.push([
        strategy,
        GATEWAY_LABEL[gateway],
        concurrency,
        fixed(warm.p50),
        fixed(warm.p95),
        fixed(warm.p99),
        fixed(warm.rps),
        off ? `${fixed(warm.p50 / off.p50, 2)}×` : 'n/a',
        fixed(warm.cpuMsPerRequest, 2),
        off && Number.isFinite(warm.cpuMsPerRequest / off.cpuMsPerRequest) ? `${fixed(warm.cpuMsPerRequest / off.cpuMsPerRequest, 2)}×` : 'n/a',
        String(warm.coldStarts),
        failures(warm),
      ]);
    }
  }
  lines.push(formatTable(['strategy', 'gateway cache', 'conc', 'p50', 'p95', 'p99', 'req/s', 'p50 vs off', 'CPU ms/req', 'CPU vs off', 'cold starts', 'non-200'], latencyRows));
  lines.push(
    '   CPU ms/req: serverless offline\'s CPU time (every function instance, the local gateway, HTTP) per request, from /proc; it moves little when other work shares the machine.',
    '   cold starts: invocations on a new instance during the measured runs; the warm-up repeats its batch until one starts none (at most ' +
      `${MAX_WARMUP_BATCHES}).`,
  );
  for (const concurrency of /** @type {const} */ (['1', '10'])) {
    const pairs = results.pairedWarm?.[concurrency];
    if (!pairs) continue;
    lines.push(
      `kit (gateway cache on) ÷ off, side by side in ${pairs.kit.length} pairs of windows taken in turn, concurrency ${concurrency}: median ${results.summary?.p50VsOffPaired?.kit?.[concurrency] ?? 'n/a'}×; ` +
        `kit p50 ${pairs.kit.map((/** @type {number} */ x) => fixed(x)).join(', ')} ms; off ${pairs.off.map((/** @type {number} */ x) => fixed(x)).join(', ')} ms` +
        (pairedFailures(pairs) ? `; non-200: ${pairedFailures(pairs)}` : ''),
    );
  }
  for (const gateway of /** @type {const} */ (['on', 'off'])) {
    for (const concurrency of [1, 10]) {
      const kit = strategies.kit?.warm?.[gateway]?.[concurrency];
      const off = strategies.off?.warm?.none?.[concurrency];
      if (!kit || !off) continue;
      const invocation = (/** @type {string} */ name) =>
        `${name} ${fixed((kit.invocations[name] ?? 0) / kit.requests, 2)} per request (median Duration ${fixed(kit.invocationMs[name] ?? Number.NaN, 2)} ms)`;
      lines.push(
        `kit, gateway cache ${gateway}, concurrency ${concurrency}: p50 ${fixed(kit.p50 - off.p50)} ms above off; serverless offline invoked ` +
          `${invocation('authorizerB')}, ${invocation('authorizerC')}; the decision inside them: p50 ${whole(kit.decisionMs.p50)} ms, p99 ${whole(kit.decisionMs.p99)} ms (whole ms).`,
      );
    }
  }

  lines.push('', `3. Garbage-token flood against POST /api/process: Keycloak calls per 1,000 forged tokens (goal for the kit: 0)`);
  const floodRows = [];
  for (const kind of FORGERY_KINDS) {
    const row = /** @type {string[]} */ ([kind]);
    for (const strategy of ['original', 'kit']) {
      const flood = strategies[strategy]?.flood?.[kind];
      row.push(flood ? whole(ROUND_TRIP_KINDS.reduce((n, k) => n + flood.per1000[k], 0)) : 'n/a');
      row.push(flood ? statusText(flood.statuses) : 'n/a');
    }
    floodRows.push(row);
  }
  lines.push(formatTable(['forgery', 'original', 'answers', 'kit', 'answers'], floodRows));
  for (const strategy of ['original', 'kit']) {
    const bursts = strategies[strategy]?.floodWarmup;
    if (!bursts?.length) continue;
    const calls = bursts.map((/** @type {{ keycloakCalls: number }} */ b) => b.keycloakCalls);
    const quiet = calls.at(-1) === 0;
    lines.push(
      `${strategy}: before counting, ${bursts.length} unmeasured burst(s) of forged-signature tokens, Keycloak calls ${calls.join(', ')}` +
        (quiet ? ' (repeated until one made none)' : ': never quiet, every forged token costs calls'),
    );
  }

  lines.push('', `4. Cold path: a request whose every function instance is fresh (median of ${COLD_SAMPLES}; --reloadHandler; the strategies side by side, sampled in turn)`);
  const coldRows = [];
  for (const strategy of ['off', 'kit', 'original']) {
    const cold = strategies[strategy]?.cold;
    if (!cold) continue;
    coldRows.push([strategy, fixed(cold.ms, 0), fixed(cold.cpuMs, 0), ...ROUND_TRIP_KINDS.map((kind) => whole(cold.calls[kind])), agreement(allAgree(cold.samples))]);
  }
  lines.push(formatTable(['strategy', 'latency ms', 'CPU ms', 'token', 'introspect', 'exchange', 'jwks', '= /metrics'], coldRows));
  const kitCold = strategies.kit?.cold;
  const originalCold = strategies.original?.cold;
  // The cold goal is judged on the unrounded median (the JSON's summary rounds it to 2 decimals).
  /** @type {number[]} */
  const pairs = kitCold && originalCold ? kitCold.samples.map((/** @type {any} */ x, /** @type {number} */ i) => x.ms / originalCold.samples[i]?.ms).filter(Number.isFinite) : [];
  if (kitCold && originalCold) {
    lines.push(
      `kit ÷ original, sample by sample (taken in the same minute): median ${fixed(median(pairs), 3)}×, the kit faster in ${pairs.filter((r) => r < 1).length} of ${pairs.length} pairs; ` +
        `kit ${kitCold.samples.map((/** @type {any} */ x) => whole(x.ms)).join(', ')} ms; original ${originalCold.samples.map((/** @type {any} */ x) => whole(x.ms)).join(', ')} ms`,
    );
  }
  for (const strategy of ['kit', 'original']) {
    const invocationMs = strategies[strategy]?.cold?.invocationMs;
    if (!invocationMs) continue;
    const byFunction = Object.entries(invocationMs).map(([name, ms]) => `${name} ${fixed(/** @type {number} */ (ms), 0)}`);
    lines.push(`${strategy}, each function's Duration on a fresh instance (serverless offline's, median ms; a caller's includes its callees'): ${byFunction.join(', ')}`);
  }

  lines.push('', `5. Bundles (deploy packaging) and module initialisation (require() in a fresh Node, median of ${INIT_RUNS})`);
  lines.push(
    formatTable(
      ['function', 'zip KB', 'bundle KB', 'init ms'],
      results.bundles.map((/** @type {any} */ b) => [b.name, fixed(b.zipBytes / 1024), fixed(b.bundleBytes / 1024), fixed(b.initMs)]),
    ),
  );
  if (results.signing) {
    lines.push(
      '',
      '5b. Signing cost per Keycloak call of a private_key_jwt service (service-b): one client assertion built with the library (privateKeyJwt), µs',
    );
    lines.push(formatSigningCost(results.signing));
  }
  const summary = results.summary;
  if (summary) {
    const met = (/** @type {boolean} */ ok) => (ok ? 'met' : 'NOT met');
    const kit10 = summary.kcCallsPer1000.kit['10'];
    const ratios = [summary.p50VsOffPaired.kit['1'], summary.p50VsOffPaired.kit['10']];
    const unpaired = [summary.p50VsOff.kit['1'], summary.p50VsOff.kit['10']];
    const cpuRatios = [summary.cpuVsOff.kit['1'], summary.cpuVsOff.kit['10']];
    const coldPaired = summary.coldKitVsOriginalPaired;
    const forged = summary.forgedPer1000.kit ?? {};
    lines.push('', '6. Goals (gateway cache on; the JSON\'s `summary`)');
    lines.push(
      formatTable(
        ['goal', 'figure', ''],
        [
          ['kit Keycloak calls per 1,000 at concurrency 1 = 0', String(summary.kcCallsPer1000.kit['1']), met(summary.kcCallsPer1000.kit['1'] === 0)],
          ['kit Keycloak calls per 1,000 at concurrency 10 ≤ 40', String(kit10), met(kit10 !== null && kit10 <= 40)],
          ['original still at 4,000 per 1,000', `${summary.kcCallsPer1000.original['1']} / ${summary.kcCallsPer1000.original['10']}`, ''],
          ['kit p50 ≤ 1.15 × off at concurrency 1 and 10 (median of side-by-side pairs)', ratios.map(ratioText).join(' / '), met(ratios.every((r) => r !== null && r <= 1.15))],
          ['  (medians of the separate runs of table 2)', unpaired.map(ratioText).join(' / '), ''],
          ['  (its CPU time per request vs off, 1 and 10)', cpuRatios.map(ratioText).join(' / '), ''],
          [
            'cold chain: kit ≤ original (median of paired samples)',
            `${ratioText(coldPaired)} (${summary.coldChain.kit?.ms} ms vs ${summary.coldChain.original?.ms} ms)`,
            met(pairs.length > 0 && median(pairs) <= 1),
          ],
          ['forged tokens (garbage, forged signature): 0 calls', `${forged.garbage} / ${forged['forged-signature']}`, met(forged.garbage === 0 && forged['forged-signature'] === 0)],
        ],
      ),
    );
  }
  return lines.join('\n');
}

/**
 * The answers other than 200 in the side-by-side windows, e.g. `kit 2`; empty when there were none.
 * @param {{ statuses: { kit: Record<string, number>[], off: Record<string, number>[] } }} pairs
 */
function pairedFailures(pairs) {
  const count = (/** @type {Record<string, number>[]} */ windows) =>
    windows.reduce((n, statuses) => n + Object.entries(statuses).reduce((m, [status, k]) => m + (status === '200' ? 0 : k), 0), 0);
  return Object.entries(pairs.statuses)
    .filter(([, windows]) => count(windows) > 0)
    .map(([side, windows]) => `${side} ${count(windows)}`)
    .join(', ');
}

/**
 * The round-trips of a warm figure per function and kind, per 1,000 requests, e.g.
 * `service-b exchange 12`.
 * @param {any} warm
 */
function byFunction(warm) {
  /** @type {Record<string, RoundTrips>} */
  const sums = {};
  for (const run of warm.runs) {
    for (const [service, calls] of Object.entries(run.byService)) {
      const sum = (sums[service] ??= noRoundTrips());
      for (const kind of ROUND_TRIP_KINDS) sum[kind] += /** @type {RoundTrips} */ (calls)[kind];
    }
  }
  const parts = Object.entries(sums)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([service, calls]) =>
      ROUND_TRIP_KINDS.filter((kind) => calls[kind] > 0).map((kind) => `${service} ${kind} ${whole((calls[kind] * 1000) / warm.requests)}`),
    );
  return parts.length ? parts.join(', ') : 'none';
}

/** @param {boolean | undefined} agrees */
const agreement = (agrees) => (agrees === undefined ? 'n/a' : agrees ? 'yes' : 'NO');

/** @param {Record<string, number>} statuses */
const statusText = (statuses) => Object.entries(statuses).map(([status, n]) => `${n}×${status}`).join(' ');

/** @param {any} warm */
function failures(warm) {
  const bad = warm.runs.reduce((/** @type {number} */ n, /** @type {any} */ run) => n + Object.entries(run.statuses).filter(([s]) => s !== '200').reduce((m, [, c]) => m + Number(c), 0), 0);
  return String(bad);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const benchStart = Date.now();
  const results = {
    startedAt: new Date().toISOString(),
    commit: gitCommit(),
    machine: machine(),
    settings: { rounds: ROUNDS, runs: RUNS, runSeconds: RUN_MS / 1000, maxRequests: MAX_REQUESTS, warmupRequests: WARMUP_REQUESTS, coldSamples: COLD_SAMPLES, floodPerKind: FLOOD_PER_KIND, introspectionCacheTtlSeconds: config.introspectionCacheTtlSeconds, apiUrl: config.apiUrl },
    /** @type {Record<string, any>} strategies[strategy].warm[gateway cache: on | off | none][concurrency], .cold, .flood */
    strategies: {},
    /** @type {any} the gateway-cache-on figures for scripts (benchSummary) */
    summary: undefined,
    /** @type {any} the kit's and the no-auth chain's p50 in side-by-side windows, by concurrency (pairedWarmFigures) */
    pairedWarm: undefined,
    /** @type {any[]} */
    bundles: [],
    /** @type {any} the cost of one private_key_jwt assertion by algorithm (measureAssertionSigning) */
    signing: undefined,
    durationSeconds: 0,
  };
  assertLoopback(config.apiUrl);
  log(`machine: ${results.machine.cores} cores, Node ${results.machine.node}; load average ${results.machine.loadAverage.join(' ')}`);
  await ensureKeycloakAndSecrets();
  const measuringStart = Date.now();
  const realToken = await realTokenOfA();
  // In-process and before any load: what each of B's Keycloak calls pays to sign its assertion.
  log('signing cost: building client assertions with the library (ES256, RS256)…');
  results.signing = await measureAssertionSigning();

  /** @type {Record<string, { 1: Awaited<ReturnType<typeof warmRuns>>[], 10: Awaited<ReturnType<typeof warmRuns>>[] }>} */
  const warm = {};
  log(`cold path: ${COLD_SAMPLES} requests per strategy through fresh instances, the strategies side by side and in turn…`);
  for (const [strategy, cold] of Object.entries(await coldFigures())) (results.strategies[strategy] ??= {}).cold = cold;
  log(`warm latency, the kit and the no-auth chain side by side: ${PAIRED_PROCESSES} process pairs × ${PAIRED_WINDOWS} pairs of windows at concurrency 1 and 10, taken in turn…`);
  results.pairedWarm = await pairedWarmFigures();
  for (let round = 0; round < ROUNDS; round += 1) {
    // Rounds alternate the order so that a machine getting busier or quieter during the bench
    // weighs on every strategy alike.
    const order = round % 2 ? [...WARM_CELLS].reverse() : WARM_CELLS;
    for (const { strategy, gateway } of order) {
      const figures = results.strategies[strategy];
      const flood = round === 0 && gateway === 'on';
      log(`${strategy} (gateway cache ${GATEWAY_LABEL[gateway]}): round ${round + 1} of ${ROUNDS}, warm load at concurrency 1 and 10${flood ? ', then the forged-token flood' : ''}…`);
      await withOffline(strategy, { gateway }, async (offline) => {
        const rounds = (warm[`${strategy} ${gateway}`] ??= { 1: [], 10: [] });
        rounds[1].push(await warmRuns(offline, 1));
        rounds[10].push(await warmRuns(offline, 10));
        if (flood) ({ byKind: figures.flood, warmupBursts: figures.floodWarmup } = await floodFigures(offline.logFile, realToken));
      });
    }
  }
  for (const [cell, rounds] of Object.entries(warm)) {
    const [strategy = '', gateway = ''] = cell.split(' ');
    (results.strategies[strategy].warm ??= {})[gateway] = { 1: warmFigure(rounds[1]), 10: warmFigure(rounds[10]) };
  }
  const { kit, original, off } = results.strategies;
  results.summary = benchSummary({
    warm: { kit: kit?.warm?.on ?? {}, original: original?.warm?.on ?? {} },
    baseline: off?.warm?.none ?? {},
    cold: { kit: kit?.cold, original: original?.cold, off: off?.cold },
    flood: { kit: kit?.flood, original: original?.flood },
    signing: results.signing,
    pairedWarm: results.pairedWarm,
  });
  log('bundles: packaging as for a deploy and timing module initialisation…');
  results.bundles = bundleFigures();
  results.durationSeconds = Math.round((Date.now() - measuringStart) / 1000);
  results.machine.loadAverageAtEnd = os.loadavg().map((n) => Number(n.toFixed(2)));

  const table = report(results);
  const outDir = path.join(projectRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${table}\n`);
  log(`measured in ${results.durationSeconds} s (${Math.round((Date.now() - benchStart) / 1000)} s with setup); full results: ${path.relative(process.cwd(), outFile)}`);
  // Figures of a chain that does not answer 200 measure an error path, not auth: say so and fail.
  const failing = Object.entries(results.strategies).flatMap(([strategy, figures]) =>
    Object.entries(figures?.warm ?? {}).flatMap(([gateway, byConcurrency]) =>
      Object.entries(/** @type {Record<string, any>} */ (byConcurrency))
        .filter(([, warm]) => Number(failures(warm)) > 0)
        .map(([concurrency, warm]) => `${strategy} (gateway cache ${gateway}) at concurrency ${concurrency}: ${failures(warm)} non-200`),
    ),
  );
  if (failing.length > 0) {
    throw new StackError(`The figures are not valid: warm requests failed (${failing.join('; ')}); see .stack/offline-bench.log.`);
  }
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    log(`${signal}: stopping what the bench started…`);
    cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  console.error(`[bench] ${error instanceof StackError ? error.message : error instanceof Error ? error.stack : error}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
