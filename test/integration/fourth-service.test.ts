/**
 * A fourth service built only from the packed library: the inventory service of the team project in
 * test/package/consumer/ (its sources import nothing but `keycloak-lambda-s2s` and
 * `keycloak-lambda-s2s/lambda`), bundled against the installed tarball and served by its own
 * serverless offline beside the running stack, behind its own authorizer — the library's, with the
 * team's route table. B reaches it with a token exchanged for `inventory`; it refuses the tokens
 * meant for the other services.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineEnv } from '../../scripts/lib/offline.mjs';
import { isPortOpen, startDetached, stopService, waitFor } from '../../scripts/lib/proc.mjs';
import { type ConsumerProject, installConsumerProject, repositoryRoot } from '../package/consumer-project';
import { type OfflineInstance, callWithGuard, freePort, startOfflineInstance, warmUp } from './helpers/side-stack';
import { type ApiAnswer, claims, clientToken, exchangedToken, stack, userToken } from './helpers/stack';

const INVENTORY_OFFLINE = 'offline-inventory-platform';
const ADJUST = '/inventory/adjustments';

let project: ConsumerProject;
let inventoryUrl: string;
let chain: OfflineInstance;

/** The sources of the team's inventory service import the library's public entry points and nothing else of it. */
function libraryImportsOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(path.join(dir, file), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1] as string))
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && specifier !== 'aws-lambda');
}

beforeAll(async () => {
  project = installConsumerProject();
  await build({
    absWorkingDir: project.dir,
    entryPoints: ['src/authorizer.ts', 'src/inventory-handler.ts'],
    outdir: 'build',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
  });
  // The team's package is ESM ("type": "module"); the bundles are CommonJS, as Lambda loads them.
  writeFileSync(path.join(project.dir, 'build', 'package.json'), '{"type":"commonjs"}\n');
  // The team's serverless.yml names serverless-offline; lend it the repository's copy (a tool, not the library).
  mkdirSync(path.join(project.dir, 'node_modules'), { recursive: true });
  symlinkSync(path.join(repositoryRoot, 'node_modules', 'serverless-offline'), path.join(project.dir, 'node_modules', 'serverless-offline'), 'dir');

  const httpPort = await freePort();
  const lambdaPort = await freePort();
  const service = startDetached({
    name: INVENTORY_OFFLINE,
    command: process.execPath,
    args: [path.join(repositoryRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start'],
    env: {
      ...offlineEnv(stack),
      OFFLINE_HTTP_PORT: String(httpPort),
      OFFLINE_LAMBDA_PORT: String(lambdaPort),
      SECRET_PREFIX: stack.secretPrefix,
    },
    cwd: project.dir,
    stateDir: stack.stateDir,
  });
  await waitFor('the inventory platform (serverless offline)', async () => (await isPortOpen(stack.host, httpPort)) && isPortOpen(stack.host, lambdaPort), {
    timeoutMs: 120_000,
    isDead: service.exited,
  });
  inventoryUrl = `http://${stack.host}:${httpPort}/dev`;
  // The demo chain, with B told where inventory lives.
  chain = await startOfflineInstance('fourth-service', { INVENTORY_URL: inventoryUrl });
  await warmUp(chain.apiUrl);
}, 300_000);

afterAll(async () => {
  await chain?.stop();
  await stopService(INVENTORY_OFFLINE, stack.stateDir);
  project?.remove();
});

const adjustAtInventory = (token: string): Promise<ApiAnswer> =>
  callWithGuard(inventoryUrl, 'POST', ADJUST, { token, body: { sku: 'sku-1', delta: -1 } });

describe('a fourth service built only from the packed library', () => {
  it("is built from the library's public entry points alone", () => {
    // Act
    const imports = libraryImportsOf(path.join(project.dir, 'src'));

    // Assess
    expect(new Set(imports)).toEqual(new Set(['keycloak-lambda-s2s', 'keycloak-lambda-s2s/lambda']));
  });

  it('is reached by B with a token B exchanged for inventory, and answers B through the chain', async () => {
    // Act
    const answer = await callWithGuard(chain.apiUrl, 'POST', '/api/inventory/adjust', { token: await clientToken('service-a'), body: { sku: 'sku-1', delta: -2 } });

    // Assess
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.inventory).toEqual({
      adjusted: { sku: 'sku-1', delta: -2 },
      by: 'inventory',
      // The subject stays A's service account; the caller inventory sees is B.
      caller: { sub: claims(await clientToken('service-a')).sub, azp: 'service-b' },
    });
  });

  it('accepts the token Keycloak issued to B for inventory (the control)', async () => {
    // Prepare
    const forInventory = await exchangedToken('service-b', await clientToken('service-a'), 'inventory');

    // Act
    const answer = await adjustAtInventory(forInventory);

    // Assess
    expect(claims(forInventory).aud).toBe('inventory');
    expect(answer.status, answer.text).toBe(200);
  });

  it.each([
    ["A's own token (aud service-b)", async () => clientToken('service-a')],
    ["the token B obtained for C (aud service-c)", async () => exchangedToken('service-b', await clientToken('service-a'), 'service-c')],
    ["a user's token for A (aud service-a)", async () => userToken('alice')],
  ])('refuses %s with 401', async (_, tokenOf) => {
    // Act
    const answer = await adjustAtInventory(await tokenOf());

    // Assess
    expect(answer.status).toBe(401);
  });

  it("makes B answer 403 TOKEN_EXCHANGE_DENIED for a caller whose subject may not reach inventory (bob holds no stock.adjust)", async () => {
    // Prepare
    const bobForB = await exchangedToken('service-a', await userToken('bob'), 'service-b');

    // Act
    const answer = await callWithGuard(chain.apiUrl, 'POST', '/api/inventory/adjust', { token: bobForB, body: { sku: 'sku-1', delta: 1 } });

    // Assess
    expect(answer.status, answer.text).toBe(403);
    expect(answer.body.error).toBe('TOKEN_EXCHANGE_DENIED');
  });
});
