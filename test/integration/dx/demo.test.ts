import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../scripts/lib/config.mjs';
import { api, devCredentialValues, issuer } from '../helpers/stack';

const run = promisify(execFile);
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/;

/** Runs a script of scripts/ with the environment that names this stack; never throws. */
async function runScript(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(projectRoot, 'scripts', script), ...args], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run demo against the running stack', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'demo-'));
  const diagramFile = path.join(folder, 'token-flow.md');
  let result: Awaited<ReturnType<typeof runScript>>;

  beforeAll(async () => {
    // The demo's own first call must not pay for cold function instances left by earlier files.
    await api('GET', '/run-service-b');
    result = await runScript('demo.mjs', ['--diagram', diagramFile]);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('goes through both flows and exits 0', () => {
    expect(result.stderr).toBe('');
    expect(result.code, `demo output (last lines):\n${result.stdout.slice(-3000)}`).toBe(0);
    expect(result.stdout).toContain('✓ Both flows went through, and every token sent to the wrong service was refused.');
  });

  it('prints the claims of each hop’s token: the audience narrows while the subject stays', () => {
    expect(result.stdout).toContain(`iss    ${issuer}`);
    const hops = [...result.stdout.matchAll(/azp {4}(\S+)\n {8}aud {4}(\S+)/g)].map(([, azp, aud]) => `${azp}→${aud}`);
    // [1] A's own token, [3] B's exchange for C, [5] alice's token, [7] A's exchange for B, [9] B's exchange for C.
    expect(hops).toEqual(['service-a→service-b', 'service-b→service-c', 'demo-cli→service-a', 'service-a→service-b', 'service-b→service-c']);
    expect(result.stdout).toMatch(/\(alice, as in \[5\]\)[\s\S]*\(alice, as in \[5\]\)/);
    expect(result.stdout).toContain('roles  service-c: analytics.run');
    expect(result.stdout).toMatch(/exp {4}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ s\)/);
  });

  it('shows each authorizer’s decision with the real status of the call', () => {
    expect(result.stdout).toMatch(/\[2\] service-a → service-b {3}POST \/api\/process[\s\S]*?✓ decision {2}Allow → HTTP 200/);
    expect(result.stdout).toMatch(/\[4\] service-b → service-c {3}POST \/api\/compute[\s\S]*?✓ decision {2}Allow → HTTP 200/);
    expect(result.stdout).toMatch(/\[6\] alice → service-a {3}GET \/run-service-b\/as-user[\s\S]*?✓ decision {2}Allow → HTTP 200/);
  });

  it('ends with the proof lines: A’s token refused at C, C’s token refused at B', () => {
    expect(result.stdout).toMatch(/✓ PROOF A's token \(token \[1\], aud service-b\) at C: POST \/api\/compute → HTTP 401, refused/);
    expect(result.stdout).toMatch(/✓ PROOF C's token \(token \[3\], aud service-c\) at B: POST \/api\/process → HTTP 401, refused/);
    expect(result.stdout).toMatch(/✓ PROOF alice's token for A \(token \[5\], aud service-a\) at B: POST \/api\/process → HTTP 401, refused/);
  });

  it('says which client authentication each hop used: B signs a JWT (private_key_jwt), A and C send a secret', () => {
    expect(result.stdout).toMatch(/service-a {2}client_secret_basic \(client secret in an HTTP Basic header\)/);
    expect(result.stdout).toMatch(/service-b {2}private_key_jwt \(a signed JWT assertion, kid \S+, no secret\)/);
    expect(result.stdout).toMatch(/service-c {2}client_secret_basic/);
    expect(result.stdout).toContain('[1] service-a → Keycloak   client_credentials grant as service-a, client_secret_basic');
    expect(result.stdout).toContain('authorizer-b  introspects as service-b (private_key_jwt)');
    expect(result.stdout).toContain('[3] service-b → Keycloak   token exchange (RFC 8693) as service-b, private_key_jwt');
    expect(result.stdout).toContain('authorizer-c  introspects as service-c (client_secret_basic)');
    expect(result.stdout).toContain('[7] service-a → Keycloak   token exchange as service-a, client_secret_basic');
    expect(result.stdout).toContain('[9] service-b → Keycloak   token exchange as service-b, private_key_jwt');
  });

  it('never prints a token, a client secret or a private key, and neither does its diagram', () => {
    const diagram = readFileSync(diagramFile, 'utf8');
    const credentials = devCredentialValues();
    expect(credentials.length).toBeGreaterThanOrEqual(3);
    for (const text of [result.stdout, result.stderr, diagram]) {
      expect(text).not.toMatch(JWT_SHAPE);
      expect(text).not.toContain('<token redacted>');
      for (const value of credentials) expect(text).not.toContain(value);
    }
  });

  it('writes a Mermaid sequence diagram of the run and names the file', () => {
    expect(result.stdout).toContain(`Sequence diagram of this run (Mermaid): `);
    const diagram = readFileSync(diagramFile, 'utf8');
    expect(diagram).toContain('```mermaid\nsequenceDiagram');
    expect(diagram).toContain('A->>B: POST /api/process with token [1] (aud service-b)');
    expect(diagram).toContain('C-->>Demo: HTTP 401 refused');
  });
});

describe('npm run demo without a stack', () => {
  it('fails with one sentence that says how to start it', async () => {
    const result = await runScript('demo.mjs', ['--no-diagram'], { KEYCLOAK_URL: 'http://127.0.0.1:1' });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('The local stack is not up: Keycloak does not serve realm');
    expect(result.stderr).toContain('npm run stack:up');
  });
});
