// @ts-check
/**
 * `npm run demo`: the token-flow trace, against the running local stack.
 *
 * Runs both flows through the real routes and prints, hop by hop, who called whom with which token
 * (iss, sub, azp, aud, roles, scope, expiry — never the token itself) and what the protected
 * service's authorizer decided. To show each hop's token, the demo makes the same Keycloak grants
 * the services make (client credentials, token exchange), with the credentials the functions read from
 * Secrets Manager (a client secret, or a private key that signs a JWT per request: each hop says which
 * method it used), and sends each token to the real route; the statuses are the stack's own. It ends
 * with the proof that a token is accepted only by the service it was issued for, and writes a
 * Mermaid sequence diagram of the run.
 *
 * Options: `--diagram <file>` (default `.stack/token-flow.md`), `--no-diagram`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { projectRoot, stackConfig } from './lib/config.mjs';
import {
  audiences,
  authMethodOf,
  clientCredentialsGrant,
  credentialsFromSecret,
  decodeClaims,
  formatExpiry,
  introspect,
  passwordGrant,
  realmEndpoints,
  redactTokens,
  summarizeClaims,
  tokenExchange,
} from './lib/oidc.mjs';
import { StackError, httpOk, isPortOpen } from './lib/proc.mjs';
import { secretsClient } from './lib/secrets.mjs';

/** @typedef {import('./lib/oidc.mjs').ClientCredentials} ClientCredentials */
/** @typedef {{ token: string, claims: ReturnType<typeof summarizeClaims>, label: string }} TracedToken */

const SERVICES = /** @type {const} */ (['service-a', 'service-b', 'service-c']);
const DEMO_USER = 'alice';
const DEMO_CLIENT = 'demo-cli';

const config = stackConfig();
const endpoints = realmEndpoints(config.keycloakUrl, config.realm);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Every line goes through here: built from claims only, and redacted once more on the way out. */
const print = (/** @type {string} */ line = '') => process.stdout.write(`${redactTokens(line)}\n`);

/** The run as a Mermaid sequence diagram, one message per hop. */
const diagram = ['sequenceDiagram'];
/** Diagram participant of a service. */
const PARTICIPANT = { 'service-a': 'A', 'service-b': 'B', 'service-c': 'C' };
const arrow = (/** @type {string} */ from, /** @type {string} */ to, /** @type {string} */ text, dashed = false) =>
  diagram.push(`    ${from}${dashed ? '-->>' : '->>'}${to}: ${redactTokens(text).replace(/[;#]/g, ',')}`);

/** Steps whose outcome was not the expected one. */
const surprises = /** @type {string[]} */ ([]);

// --- Is the stack up? ------------------------------------------------------------------------

/** Fails with one sentence naming the first part of the stack that does not answer. */
async function assertStackUp() {
  const hint = 'start it with `npm run stack:up` (or `npm start` in another terminal) and run `npm run demo` again';
  if (!(await httpOk(endpoints.discovery).catch(() => false))) {
    throw new StackError(`The local stack is not up: Keycloak does not serve realm "${config.realm}" at ${config.keycloakUrl}; ${hint}.`);
  }
  if (!(await isPortOpen(config.host, config.secretsPort))) {
    throw new StackError(`The local stack is not up: nothing answers at the Secrets Manager emulator ${config.secretsEndpoint}; ${hint}.`);
  }
  if (!(await isPortOpen(config.host, config.httpPort))) {
    throw new StackError(`The local stack is not up: nothing answers at the API ${config.apiUrl}; ${hint}.`);
  }
}

// --- Inputs: the services' secrets and the demo user -------------------------------------------

/**
 * Each service's client credentials, read where the functions read them (Secrets Manager).
 * @returns {Promise<Record<(typeof SERVICES)[number], ClientCredentials>>}
 */
async function readServiceCredentials() {
  // The SDK warns on Node 20 about its future support policy; that notice is not part of the demo.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = secretsClient(config);
  try {
    const entries = await Promise.all(
      SERVICES.map(async (service) => {
        const secretId = `${config.secretPrefix}/${service}`;
        const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId })).catch((error) => {
          throw new StackError(`Secret ${secretId} could not be read from ${config.secretsEndpoint} (${error.name}): restart the stack with \`npm run stack:down && npm run stack:up\`.`);
        });
        try {
          return [service, credentialsFromSecret(secretId, service, answer.SecretString)];
        } catch (error) {
          // The library's sentence names the field, never the value.
          throw new StackError(`${error instanceof Error ? error.message : String(error)}: restart the stack with \`npm run stack:down && npm run stack:up\`.`);
        }
      }),
    );
    return Object.fromEntries(entries);
  } finally {
    client.destroy();
  }
}

/** The dev-only password of the demo user, from the realm file (as in the README's curl example). */
function demoUserPassword() {
  const realm = JSON.parse(readFileSync(config.realmFile, 'utf8'));
  const user = realm.users?.find((/** @type {{ username: string }} */ u) => u.username === DEMO_USER);
  const password = user?.credentials?.[0]?.value;
  if (!password) throw new StackError(`The realm file has no password for the demo user "${DEMO_USER}".`);
  return password;
}

// --- Printing ------------------------------------------------------------------------------------

/**
 * How a service authenticated at a hop, e.g. `private_key_jwt (signed JWT, kid service-b-dev-1a2b3c4d)`.
 * @param {ClientCredentials} credentials
 */
function methodText(credentials) {
  if ('clientSecret' in credentials) return 'client_secret_basic (client secret in an HTTP Basic header)';
  const kid = 'kid' in credentials ? credentials.kid : credentials.privateKeyJwk.kid;
  return `private_key_jwt (a signed JWT assertion, kid ${kid}, no secret)`;
}

/**
 * Prints a token's claims under a hop.
 * @param {TracedToken} traced
 * @param {string} [who] whom `sub` stands for, when the demo knows
 */
function printToken(traced, who) {
  const c = traced.claims;
  print(`      token ${traced.label}`);
  print(`        iss    ${c.iss}`);
  print(`        sub    ${c.sub}${who ? `  (${who})` : ''}`);
  print(`        azp    ${c.azp}`);
  print(`        aud    ${c.aud.join(', ') || '(none)'}`);
  print(`        roles  ${c.roles.join('; ') || '(none)'}`);
  print(`        scope  ${c.scope || '(none)'}`);
  print(`        exp    ${formatExpiry(c.exp, c.expiresInSeconds)}`);
}

/**
 * Records a step that did not go as the flow expects.
 * @param {boolean} ok
 * @param {string} what
 */
function expectStep(ok, what) {
  if (!ok) surprises.push(what);
  return ok ? '✓' : '✗';
}

// --- Keycloak grants, reproduced -----------------------------------------------------------------

/**
 * A token from a grant, or a StackError that quotes Keycloak's error (never the request).
 * @param {Promise<import('./lib/oidc.mjs').KeycloakAnswer>} grant
 * @param {string} what
 * @param {string} label
 * @returns {Promise<TracedToken>}
 */
async function tokenFrom(grant, what, label) {
  const { status, body } = await grant;
  if (status !== 200 || typeof body.access_token !== 'string') {
    throw new StackError(
      `${what} failed: Keycloak answered HTTP ${status} ${body.error ?? ''}${body.error_description ? ` (${body.error_description})` : ''}; ` +
        'run `npm run doctor` to check the realm.',
    );
  }
  return { token: body.access_token, claims: summarizeClaims(decodeClaims(body.access_token), nowSeconds()), label };
}

// --- Real calls ---------------------------------------------------------------------------------

/**
 * Calls a route of the running API.
 * @param {'GET' | 'POST'} method
 * @param {string} route
 * @param {{ token?: string, body?: unknown }} [options]
 */
async function callApi(method, route, { token, body } = {}) {
  /** @type {Record<string, string>} */
  const headers = { 'x-correlation-id': `demo-${Date.now()}` };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${config.apiUrl}${route}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  /** @type {any} */
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

/**
 * What the protected service's authorizer sees (introspection with that service's credentials, as
 * the authorizer does) and what it decided (the real HTTP status of the call).
 * @param {(typeof SERVICES)[number]} service
 * @param {ClientCredentials} credentials
 * @param {string} token
 * @param {number} status
 */
async function authorizerLine(service, credentials, token, status) {
  const { body } = await introspect(endpoints, credentials, token);
  const seen = body.active
    ? `active, aud ${audiences(body.aud).join(', ')}, permissions ${body.resource_access?.[service]?.roles?.join(' ') || '(none)'}`
    : 'active: false';
  const decision = status === 401 ? 'Unauthorized' : status === 403 ? 'Deny' : status < 400 ? 'Allow' : 'failed';
  return { seen, decision, active: body.active === true };
}

/**
 * Sends `traced` to a protected route and prints the authorizer's view and decision.
 * @param {{ step: string, from: string, to: (typeof SERVICES)[number], method: 'POST', route: string, body: unknown,
 *           traced: TracedToken, credentials: ClientCredentials, expectStatus: number }} hop
 */
async function protectedCall({ step, from, to, method, route, body, traced, credentials, expectStatus }) {
  const answer = await callApi(method, route, { token: traced.token, body });
  const { seen, decision } = await authorizerLine(to, credentials, traced.token, answer.status);
  const mark = expectStep(answer.status === expectStatus, `${step} ${from} → ${to} ${method} ${route}: HTTP ${answer.status}, expected ${expectStatus}`);
  print(`  ${step} ${from} → ${to}   ${method} ${route}   Bearer <token ${traced.label}>`);
  print(`      authorizer-${to.slice(-1)}  introspects as ${to} (${authMethodOf(credentials)}): ${seen}`);
  print(`      ${mark} decision  ${decision} → HTTP ${answer.status}`);
  const [source, target] = [PARTICIPANT[/** @type {keyof typeof PARTICIPANT} */ (from)], PARTICIPANT[to]];
  arrow(source, target, `${method} ${route} with token ${traced.label} (aud ${traced.claims.aud.join(',')})`);
  arrow(target, source, `HTTP ${answer.status} (authorizer-${to.slice(-1)}: ${decision})`, true);
  return answer;
}

/**
 * The `caller` a handler reported, as `sub …, azp …`.
 * @param {any} caller
 */
const callerText = (caller) => (caller ? `sub ${caller.sub}, azp ${caller.azp}` : '(not reported)');

// --- The flows ----------------------------------------------------------------------------------

/** @param {Record<(typeof SERVICES)[number], ClientCredentials>} credentials */
async function serviceIdentityFlow(credentials) {
  print('━━ Flow 1 · service identity: A calls B as itself; B exchanges that token for one meant for C ━━');
  print();
  diagram.push('    Note over Demo,KC: Flow 1 · service identity');

  // The real run, end to end, as a caller sees it.
  const run = await callApi('GET', '/run-service-b');
  const ok = run.status === 200 && run.json?.service_c?.result === 20;
  print(`  [0] you → service-a   GET /run-service-b   (public route, no token)`);
  print(`      ${expectStep(ok, `[0] GET /run-service-b: HTTP ${run.status}`)} HTTP ${run.status}  ${run.json?.service_b ?? ''}; C answered result ${run.json?.service_c?.result ?? '?'}`);
  print(`      B saw the caller  ${callerText(run.json?.caller)}`);
  print(`      C saw the caller  ${callerText(run.json?.service_c?.caller)}`);
  arrow('Demo', 'A', 'GET /run-service-b (no token)');
  arrow('A', 'Demo', `HTTP ${run.status}, result ${run.json?.service_c?.result ?? '?'}`, true);
  print();
  print('  Hop by hop: the demo makes the same grants as the services and sends each token to the real route.');
  print();

  const own = await tokenFrom(clientCredentialsGrant(endpoints, credentials['service-a']), "service-a's client-credentials grant", '[1]');
  print(`  [1] service-a → Keycloak   client_credentials grant as service-a, ${authMethodOf(credentials['service-a'])}`);
  printToken(own, 'service account of service-a');
  const sameAsRun = own.claims.sub === run.json?.caller?.sub;
  print(`      ${expectStep(sameAsRun, '[1] sub differs from the caller B reported')} same sub as the caller B reported in [0]`);
  arrow('A', 'KC', `client_credentials as service-a (${authMethodOf(credentials['service-a'])})`);
  arrow('KC', 'A', `token [1]: sub service-account-service-a, azp ${own.claims.azp}, aud ${own.claims.aud.join(',')}`, true);
  print();

  const atB = await protectedCall({
    step: '[2]', from: 'service-a', to: 'service-b', method: 'POST', route: '/api/process',
    body: { order_id: 9876, amount: 100 }, traced: own, credentials: credentials['service-b'], expectStatus: 200,
  });
  print(`      B saw the caller  ${callerText(atB.json?.caller)}`);
  print();

  const forC = await tokenFrom(
    tokenExchange(endpoints, credentials['service-b'], own.token, 'service-c'),
    "service-b's token exchange for service-c",
    '[3]',
  );
  print(`  [3] service-b → Keycloak   token exchange (RFC 8693) as service-b, ${authMethodOf(credentials['service-b'])}: subject_token <token [1]>, audience service-c`);
  printToken(forC, own.claims.sub === forC.claims.sub ? 'same subject as [1]' : 'a different subject than [1]!');
  arrow('B', 'KC', `token exchange as service-b (${authMethodOf(credentials['service-b'])}): subject token [1], audience service-c`);
  arrow('KC', 'B', `token [3]: same sub, azp ${forC.claims.azp}, aud ${forC.claims.aud.join(',')}`, true);
  print();

  const atC = await protectedCall({
    step: '[4]', from: 'service-b', to: 'service-c', method: 'POST', route: '/api/compute',
    body: { value: 10 }, traced: forC, credentials: credentials['service-c'], expectStatus: 200,
  });
  print(`      C answered result ${atC.json?.result ?? '?'}; C saw the caller  ${callerText(atC.json?.caller)}`);
  print();
  return { own, forC };
}

/**
 * @param {Record<(typeof SERVICES)[number], ClientCredentials>} credentials
 * @param {string} password
 */
async function delegationFlow(credentials, password) {
  print(`━━ Flow 2 · user delegation: ${DEMO_USER}'s token → A exchanges it for B → B exchanges that for C ━━`);
  print();
  diagram.push(`    Note over Demo,KC: Flow 2 · user delegation (${DEMO_USER})`);

  const user = await tokenFrom(
    passwordGrant(endpoints, { clientId: DEMO_CLIENT, username: DEMO_USER, password }),
    `${DEMO_USER}'s password grant through ${DEMO_CLIENT}`,
    '[5]',
  );
  print(`  [5] ${DEMO_USER} → Keycloak   password grant through ${DEMO_CLIENT} (a dev-only public client)`);
  printToken(user, DEMO_USER);
  arrow('Demo', 'KC', `password grant: ${DEMO_USER} through ${DEMO_CLIENT}`);
  arrow('KC', 'Demo', `token [5]: sub ${DEMO_USER}, azp ${user.claims.azp}, aud ${user.claims.aud.join(',')}`, true);
  print();

  const run = await callApi('GET', '/run-service-b/as-user', { token: user.token });
  const { seen, decision } = await authorizerLine('service-a', credentials['service-a'], user.token, run.status);
  const ok = run.status === 200 && run.json?.service_c?.result === 20;
  print(`  [6] ${DEMO_USER} → service-a   GET /run-service-b/as-user   Bearer <token [5]>`);
  print(`      authorizer-a  introspects as service-a (${authMethodOf(credentials['service-a'])}): ${seen}`);
  print(`      ${expectStep(ok, `[6] GET /run-service-b/as-user: HTTP ${run.status}`)} decision  ${decision} → HTTP ${run.status}; C answered result ${run.json?.service_c?.result ?? '?'}`);
  print(`      B saw the caller  ${callerText(run.json?.caller)}`);
  print(`      C saw the caller  ${callerText(run.json?.service_c?.caller)}`);
  arrow('Demo', 'A', 'GET /run-service-b/as-user with token [5]');
  arrow('A', 'Demo', `HTTP ${run.status} (authorizer-a: ${decision}), result ${run.json?.service_c?.result ?? '?'}`, true);
  print();
  print('  Hop by hop inside [6], reproduced:');
  print();

  /**
   * One token exchange of the delegation flow, reproduced and printed: the user must stay the subject.
   * @param {{ step: string, requester: 'service-a' | 'service-b', subjectStep: string, subject: { token: string }, audience: string }} hop
   */
  const userExchangeHop = async ({ step, requester, subjectStep, subject, audience }) => {
    const exchanged = await tokenFrom(
      tokenExchange(endpoints, credentials[requester], subject.token, audience),
      `${requester}'s token exchange for ${audience}`,
      step,
    );
    const participant = requester === 'service-a' ? 'A' : 'B';
    print(`  ${step} ${requester} → Keycloak   token exchange as ${requester}, ${authMethodOf(credentials[requester])}: subject_token <token ${subjectStep}>, audience ${audience}`);
    printToken(exchanged, exchanged.claims.sub === user.claims.sub ? `${DEMO_USER}, as in [5]` : `not ${DEMO_USER}!`);
    expectStep(exchanged.claims.sub === user.claims.sub, `${step} the exchanged token lost the user as its subject`);
    arrow(participant, 'KC', `token exchange as ${requester} (${authMethodOf(credentials[requester])}): subject token ${subjectStep}, audience ${audience}`);
    arrow('KC', participant, `token ${step}: sub ${DEMO_USER}, azp ${exchanged.claims.azp}, aud ${exchanged.claims.aud.join(',')}`, true);
    print();
    return exchanged;
  };

  const forB = await userExchangeHop({ step: '[7]', requester: 'service-a', subjectStep: '[5]', subject: user, audience: 'service-b' });

  const atB = await protectedCall({
    step: '[8]', from: 'service-a', to: 'service-b', method: 'POST', route: '/api/process',
    body: { order_id: 9876, amount: 100 }, traced: forB, credentials: credentials['service-b'], expectStatus: 200,
  });
  print(`      B saw the caller  ${callerText(atB.json?.caller)}`);
  print();

  const forC = await userExchangeHop({ step: '[9]', requester: 'service-b', subjectStep: '[7]', subject: forB, audience: 'service-c' });

  const atC = await protectedCall({
    step: '[10]', from: 'service-b', to: 'service-c', method: 'POST', route: '/api/compute',
    body: { value: 10 }, traced: forC, credentials: credentials['service-c'], expectStatus: 200,
  });
  print(`      C answered result ${atC.json?.result ?? '?'}; C saw the caller  ${callerText(atC.json?.caller)}`);
  print();
  return { user };
}

/**
 * The proof lines: real calls with tokens sent to a service they were not issued for.
 * @param {Record<(typeof SERVICES)[number], ClientCredentials>} credentials
 * @param {{ own: TracedToken, forC: TracedToken, user: TracedToken }} tokens
 */
async function proof(credentials, { own, forC, user }) {
  print('━━ Proof · a token is accepted only by the service it was issued for ━━');
  print();
  diagram.push('    Note over Demo,KC: Proof · tokens sent to the wrong service');
  const order = { order_id: 9876, amount: 100 };
  /** @type {{ name: string, traced: TracedToken, at: 'service-b' | 'service-c', route: string, body: unknown }[]} */
  const cases = [
    { name: "A's token", traced: own, at: 'service-c', route: '/api/compute', body: { value: 10 } },
    { name: "C's token", traced: forC, at: 'service-b', route: '/api/process', body: order },
    { name: `${DEMO_USER}'s token for A`, traced: user, at: 'service-b', route: '/api/process', body: order },
  ];
  for (const { name, traced, at, route, body } of cases) {
    const answer = await callApi('POST', route, { token: traced.token, body });
    const { seen, active } = await authorizerLine(at, credentials[at], traced.token, answer.status);
    const refused = answer.status === 401 || answer.status === 403;
    const service = PARTICIPANT[at];
    const aud = traced.claims.aud.join(', ');
    const mark = expectStep(refused, `proof: ${name} at ${service} answered HTTP ${answer.status}`);
    print(`  ${mark} PROOF ${name} (token ${traced.label}, aud ${aud}) at ${service}: POST ${route} → HTTP ${answer.status}, ${refused ? 'refused' : 'NOT REFUSED'}`);
    print(
      active
        ? `      why: its aud is ${aud}, not ${at}; introspection as ${at} still answers "${seen}" (Keycloak before 26.6.2), so the authorizer's aud check alone refuses it`
        : `      why: its aud is ${aud}, not ${at}; introspection as ${at} answers active: false (Keycloak ≥ 26.6.2 audience rule)`,
    );
    arrow('Demo', service, `POST ${route} with token ${traced.label} (aud ${aud})`);
    arrow(service, 'Demo', `HTTP ${answer.status} ${refused ? 'refused' : 'NOT refused'}`, true);
  }
  print();
}

/**
 * Writes the diagram as a Markdown file with one Mermaid block.
 * @param {string} file
 */
function writeDiagram(file) {
  const participants = [
    '    participant Demo as you (npm run demo)',
    '    participant A as service-a',
    '    participant B as service-b',
    '    participant C as service-c',
    '    participant KC as Keycloak',
  ];
  const [head, ...messages] = diagram;
  const text = [
    `# Token flow of \`npm run demo\`, ${new Date().toISOString()}`,
    '',
    `API ${config.apiUrl}, Keycloak ${endpoints.issuer}. Every arrow is a real call of this run; tokens are named by their step.`,
    '',
    '```mermaid',
    head,
    ...participants,
    ...messages,
    '```',
    '',
  ].join('\n');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, redactTokens(text));
}

/** @param {string[]} argv */
function parseArgs(argv) {
  let diagramFile = /** @type {string | undefined} */ (path.join(config.stateDir, 'token-flow.md'));
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--no-diagram') diagramFile = undefined;
    else if (argv[i] === '--diagram' && argv[i + 1]) diagramFile = path.resolve(String(argv[++i]));
    else throw new StackError(`Unknown option ${argv[i]}: use --diagram <file> or --no-diagram.`);
  }
  return { diagramFile };
}

async function main() {
  const { diagramFile } = parseArgs(process.argv.slice(2));
  await assertStackUp();
  const credentials = await readServiceCredentials();
  const password = demoUserPassword();

  print(`Token-flow trace · API ${config.apiUrl} · Keycloak ${endpoints.issuer}`);
  print('Tokens are never printed, only their claims. Credentials are read from Secrets Manager, as the functions read them.');
  print('How each service authenticates to Keycloak (client credentials, introspection, token exchange):');
  for (const service of SERVICES) print(`  ${service.padEnd(10)} ${methodText(credentials[service])}`);
  print();

  const { own, forC } = await serviceIdentityFlow(credentials);
  const { user } = await delegationFlow(credentials, password);
  await proof(credentials, { own, forC, user });

  if (diagramFile) {
    writeDiagram(diagramFile);
    print(`Sequence diagram of this run (Mermaid): ${path.relative(projectRoot, diagramFile) || diagramFile}`);
  }
  if (surprises.length > 0) {
    print(`✗ ${surprises.length} step(s) did not go as expected: ${surprises.join('; ')}. Run \`npm run doctor\` to check the realm.`);
    process.exitCode = 1;
  } else {
    print('✓ Both flows went through, and every token sent to the wrong service was refused.');
  }
}

main().catch((error) => {
  const message = error instanceof StackError ? error.message : `The demo failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${redactTokens(message)}\n`);
  process.exit(1);
});
