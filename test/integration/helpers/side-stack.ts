/**
 * A second serverless offline instance of the same project, started by a test with its own
 * environment (short caches, proxies in front of Keycloak and between the services), and the
 * loopback proxies themselves. The main stack is left as it is.
 */
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../../scripts/lib/config.mjs';
import { offlineEnv } from '../../../scripts/lib/offline.mjs';
import { isPortOpen, startDetached, stopService, waitFor } from '../../../scripts/lib/proc.mjs';
import { type ApiAnswer, stack } from './stack';

/** A TCP port that was free a moment ago on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, stack.host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running extra offline instance. */
export interface OfflineInstance {
  apiUrl: string;
  httpPort: number;
  /** The instance's log so far (serverless offline and the functions' JSON lines). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `serverless offline` for stage dev on fresh ports with `env` on top of the stack's own
 * environment, bundling into its own work folder (serverless-esbuild deletes its folder on exit, so
 * sharing the main instance's one would break it). `npm run stack:down` stops it too if a test
 * could not.
 */
export async function startOfflineInstance(
  name: string,
  env: Record<string, string>,
  { httpPort, args = [] }: { httpPort?: number; args?: string[] } = {},
): Promise<OfflineInstance> {
  const port = httpPort ?? (await freePort());
  const lambdaPort = await freePort();
  const service = startDetached({
    name: `offline-${name}`,
    command: process.execPath,
    args: [path.join(projectRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--stage', stack.stage, ...args],
    env: {
      ...offlineEnv(stack),
      OFFLINE_HTTP_PORT: String(port),
      OFFLINE_LAMBDA_PORT: String(lambdaPort),
      ESBUILD_WORK_FOLDER: path.join('.stack', `esbuild-${name}`),
      ...env,
    },
    cwd: projectRoot,
    stateDir: stack.stateDir,
  });
  const stop = async () => {
    await stopService(`offline-${name}`, stack.stateDir);
    rmSync(path.join(projectRoot, '.stack', `esbuild-${name}`), { recursive: true, force: true });
  };
  try {
    await waitFor(`serverless offline (${name})`, async () => (await isPortOpen(stack.host, port)) && isPortOpen(stack.host, lambdaPort), {
      timeoutMs: 120_000,
      isDead: service.exited,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { apiUrl: `http://${stack.host}:${port}/${stack.stage}`, httpPort: port, log: () => readFileSync(service.logFile, 'utf8'), stop };
}

/** How long serverless offline may take to write a function's log line after the answer was sent. */
export const LOG_FLUSH_MS = 500;

/** The functions' JSON log lines of an instance's log text. */
export function jsonLines(log: string): Record<string, unknown>[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/**
 * Calls `baseUrl + path` with a client-side guard: a request still unanswered after `guardMs`
 * fails the test (a hang) instead of blocking it.
 */
export async function callWithGuard(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  { token, body, guardMs = 30_000 }: { token?: string; body?: unknown; guardMs?: number } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(guardMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/**
 * Calls A's route until it answers 200, at most `attempts` times. The first request of a cold
 * stack starts six functions one after the other (worker threads loading their bundles); on a
 * loaded 2-core machine that can exceed A's 20 s Lambda timeout (504 from serverless offline), and
 * it is not what the tests that start with this call are about.
 */
export async function warmUp(baseUrl: string, attempts = 3): Promise<void> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const { status } = await callWithGuard(baseUrl, 'GET', '/run-service-b');
    statuses.push(status);
    if (status === 200) return;
  }
  throw new Error(`${baseUrl}/run-service-b did not answer 200 in ${attempts} attempts: ${statuses.join(', ')}`);
}

/** A TCP proxy that can delay every chunk in both directions. */
export interface TcpProxy {
  url: string;
  /** Delay applied to each chunk, each way, from now on (0: pass through). */
  delayMs: number;
  /**
   * With `record: true`, the plain HTTP/1.1 requests clients sent through the proxy since the start
   * (or the last {@link TcpProxy.clearRecording}), in order per connection; otherwise none. Kept in
   * memory only: a test summarises them and must not print what they carry.
   */
  requests(): RecordedRequest[];
  clearRecording(): void;
  close(): Promise<void>;
}

/** An HTTP request a recording {@link TcpProxy} saw on its way upstream. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** The complete HTTP/1.1 requests in `stream` (one connection's bytes from the client, keep-alive included). */
export function parseHttpRequests(stream: Buffer): RecordedRequest[] {
  const requests: RecordedRequest[] = [];
  let rest = stream;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const [requestLine = '', ...headerLines] = rest.subarray(0, headEnd).toString('latin1').split('\r\n');
    const [method = '', path = ''] = requestLine.split(' ');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let position = headEnd + 4;
    let body: Buffer;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', position);
        if (lineEnd < 0) return requests;
        const size = Number.parseInt(rest.subarray(position, lineEnd).toString('latin1'), 16);
        position = lineEnd + 2;
        if (size === 0) {
          position += 2;
          break;
        }
        chunks.push(rest.subarray(position, position + size));
        position += size + 2;
      }
      body = Buffer.concat(chunks);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (rest.length < position + length) break;
      body = rest.subarray(position, position + length);
      position += length;
    }
    requests.push({ method, path, headers, body: body.toString('utf8') });
    rest = rest.subarray(position);
  }
  return requests;
}

/**
 * Starts a loopback TCP proxy to `target`; each chunk waits `delayMs` before it is passed on. With
 * `record`, it also keeps what each client sends (see {@link TcpProxy.requests}).
 */
export async function startTcpProxy(target: { host: string; port: number }, { record = false }: { record?: boolean } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let recorded: Buffer[][] = [];
  const proxy: TcpProxy = {
    url: '',
    delayMs: 0,
    requests: () => recorded.flatMap((chunks) => parseHttpRequests(Buffer.concat(chunks))),
    clearRecording: () => {
      recorded = [];
    },
    close: async () => {},
  };
  const relay = (from: net.Socket, to: net.Socket, recording?: () => Buffer[]) => {
    from.on('data', (chunk) => {
      recording?.().push(chunk);
      const forward = () => {
        if (!to.destroyed) to.write(chunk);
      };
      // Keep-alive connections carry many requests: delay every chunk, not only the connect.
      if (proxy.delayMs > 0) setTimeout(forward, proxy.delayMs);
      else forward();
    });
    from.on('end', () => setTimeout(() => to.end(), proxy.delayMs));
    from.on('error', () => to.destroy());
    from.on('close', () => setTimeout(() => to.destroy(), proxy.delayMs + 10));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    // A connection's bytes since the last clearRecording(): a cleared recording starts a new list.
    let list: Buffer[] | undefined;
    let listOf: Buffer[][] | undefined;
    const recording = record
      ? () => {
          if (listOf !== recorded || !list) {
            list = [];
            listOf = recorded;
            recorded.push(list);
          }
          return list;
        }
      : undefined;
    relay(client, upstream, recording);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, stack.host, resolve));
  proxy.url = `http://${stack.host}:${(server.address() as net.AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}

/** What an {@link HttpProxy} does with a request. */
export type HttpFault = 'pass' | 'reset' | 'hang';

/** An HTTP proxy whose behaviour is chosen per request path. */
export interface HttpProxy {
  url: string;
  /** Decides the fate of each request by its path (default: pass). */
  faultFor: (path: string) => HttpFault;
  close(): Promise<void>;
}

/** Starts a loopback HTTP proxy to `target` that can reset or hold requests, path by path. */
export async function startHttpProxy(target: { host: string; port: number }): Promise<HttpProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: HttpProxy = { url: '', faultFor: () => 'pass', close: async () => {} };
  const server = http.createServer((request, response) => {
    const fault = proxy.faultFor(request.url ?? '');
    if (fault === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault === 'hang') return; // answered never; the socket is destroyed by the caller's timeout or close()
    const upstream = http.request(
      { host: target.host, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => request.socket.destroy());
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, stack.host, resolve));
  proxy.url = `http://${stack.host}:${(server.address() as net.AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
