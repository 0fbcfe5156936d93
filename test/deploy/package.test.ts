import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSizes, packageService, type PackagedService } from '../../scripts/bundle-size.mjs';
import { projectRoot } from '../../scripts/lib/config.mjs';

// Proves, without an AWS account, what docs/deploy.md promises of the packaged template.

const STAGE = 'ci';
const SERVICE = 'keycloak-s2s';

/** Whose client secret each function may read (null: none). */
const SECRET_OF: Record<string, string | null> = {
  authorizerA: 'service-a',
  authorizerB: 'service-b',
  authorizerC: 'service-c',
  serviceA: 'service-a',
  serviceB: 'service-b',
  serviceC: null,
};

type Template = { Resources: Record<string, Resource>; Parameters?: Record<string, unknown> };
type Resource = { Type: string; Properties?: any; DependsOn?: string | string[]; Condition?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A statement's resources as strings: `Fn::Sub` templates as written, `Fn::GetAtt` as `X.Attr`. */
function resourceStrings(resource: unknown): string[] {
  return asArray(resource as unknown).map((item: any) => {
    if (typeof item === 'string') return item;
    if (typeof item?.['Fn::Sub'] === 'string') return item['Fn::Sub'];
    if (Array.isArray(item?.['Fn::GetAtt'])) return item['Fn::GetAtt'].join('.');
    return JSON.stringify(item);
  });
}

/** Every IAM statement of the template, with the role or policy resource it belongs to. */
function iamStatements(template: Template): { owner: string; statement: Statement }[] {
  return Object.entries(template.Resources).flatMap(([id, resource]) => {
    if (resource.Type === 'AWS::IAM::Role') {
      return asArray<any>(resource.Properties?.Policies).flatMap((policy) =>
        asArray<Statement>(policy.PolicyDocument.Statement).map((statement) => ({ owner: id, statement })),
      );
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      return asArray<Statement>(resource.Properties.PolicyDocument.Statement).map((statement) => ({ owner: id, statement }));
    }
    return [];
  });
}

/** Logical ids a resource depends on: Ref, Fn::GetAtt, ${X} in Fn::Sub, DependsOn. */
function dependencies(resource: Resource, resourceIds: Set<string>): Set<string> {
  const found = new Set<string>(asArray(resource.DependsOn));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') found.add(value);
      else if (key === 'Fn::GetAtt') found.add(String(Array.isArray(value) ? value[0] : String(value).split('.', 1)[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        for (const [, name] of String(text).matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) found.add(name as string);
        if (Array.isArray(value)) visit(value[1]);
      } else visit(value);
    }
  };
  visit(resource.Properties);
  return new Set([...found].filter((id) => resourceIds.has(id)));
}

/** A dependency cycle among the resources (CloudFormation refuses those), or undefined. */
function findCycle(template: Template): string[] | undefined {
  const ids = new Set(Object.keys(template.Resources));
  const done = new Set<string>();
  const walk = (id: string, trail: string[]): string[] | undefined => {
    if (trail.includes(id)) return [...trail.slice(trail.indexOf(id)), id];
    if (done.has(id)) return undefined;
    for (const next of dependencies(template.Resources[id]!, ids)) {
      const cycle = walk(next, [...trail, id]);
      if (cycle) return cycle;
    }
    done.add(id);
    return undefined;
  };
  for (const id of ids) {
    const cycle = walk(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The logical id of a function resource, found by its deployed name. */
function functionId(template: Template, name: string): string {
  const entry = Object.entries(template.Resources).find(
    ([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.FunctionName === `${SERVICE}-${STAGE}-${name}`,
  );
  if (!entry) throw new Error(`no function ${name} in the template`);
  return entry[0];
}

/** The access-token lifespan the realm gives every client: the realm's, or a shorter per-client override. */
function accessTokenLifespanSeconds(): number {
  const realm = JSON.parse(readFileSync(path.join(projectRoot, 'keycloak', 'realm-microservices.json'), 'utf8'));
  const overrides = (realm.clients as { attributes?: Record<string, string> }[])
    .map((client) => Number(client.attributes?.['access.token.lifespan']))
    .filter((seconds) => Number.isInteger(seconds) && seconds > 0);
  return Math.min(Number(realm.accessTokenLifespan), ...overrides);
}

describe(`serverless package --stage ${STAGE} (no AWS credentials)`, () => {
  let packaged: PackagedService;
  let template: Template;
  const resourcesOfType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

  beforeAll(() => {
    packaged = packageService({ stage: STAGE, params: { keycloakUrl: 'https://keycloak.example.com' } });
    template = packaged.template;
  }, 300_000);

  afterAll(() => packaged?.remove());

  it('produces a template that cfn-lint passes with no errors and no warnings', () => {
    const lint = spawnSync('cfn-lint', ['--', packaged.templateFile], { encoding: 'utf8' });

    if (lint.error) throw new Error(`cfn-lint could not run (${lint.error.message}): install it with \`pip install cfn-lint\``);
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
  });

  it('runs every function on nodejs22.x or nodejs24.x', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');

    expect(functions).toHaveLength(Object.keys(SECRET_OF).length);
    for (const [id, resource] of functions) expect([id, resource.Properties.Runtime]).toEqual([id, expect.stringMatching(/^nodejs(22|24)\.x$/)]);
  });

  it('gives each function a role of its own, and no shared default role', () => {
    const roleOf = Object.keys(SECRET_OF).map((name) => template.Resources[functionId(template, name)]?.Properties.Role?.['Fn::GetAtt']?.[0]);

    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(new Set(roleOf).size).toBe(roleOf.length);
    for (const role of roleOf) expect(template.Resources[role]?.Type).toBe('AWS::IAM::Role');
    expect(resourcesOfType('AWS::IAM::Role')).toHaveLength(roleOf.length);
  });

  it('leaves X-Ray tracing at PassThrough by default, with no X-Ray grant', () => {
    for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) expect([id, fn.Properties.TracingConfig]).toEqual([id, { Mode: 'PassThrough' }]);
    expect(JSON.stringify(template.Resources)).not.toContain('xray:');
  });

  it('attaches no managed policy, so the inline statements are the whole grant', () => {
    for (const [id, role] of resourcesOfType('AWS::IAM::Role')) expect([id, role.Properties.ManagedPolicyArns]).toEqual([id, undefined]);
    expect(resourcesOfType('AWS::IAM::Policy')).toEqual([]);
    expect(resourcesOfType('AWS::IAM::ManagedPolicy')).toEqual([]);
  });

  it('grants nothing on `*`: no wildcard action and no wildcard resource, secretsmanager above all', () => {
    for (const { owner, statement } of iamStatements(template)) {
      const context = `${owner}: ${JSON.stringify(statement)}`;
      for (const action of asArray(statement.Action)) expect(action, context).not.toMatch(/^\*$|:\*$/);
      for (const resource of resourceStrings(statement.Resource)) expect(resource, context).not.toContain('*');
    }
  });

  it('lets each function write only to its own log group', () => {
    for (const name of Object.keys(SECRET_OF)) {
      const id = functionId(template, name);
      const role = template.Resources[id]?.Properties.Role['Fn::GetAtt'][0];
      const logStatements = iamStatements(template).filter(
        ({ owner, statement }) => owner === role && asArray(statement.Action).some((action) => action.startsWith('logs:')),
      );

      expect(logStatements.flatMap(({ statement }) => resourceStrings(statement.Resource)), name).toEqual([`${id.replace(/LambdaFunction$/, 'LogGroup')}.Arn`]);
    }
  });

  it('gives serviceC no secretsmanager action at all (it makes no Keycloak call)', () => {
    const role = template.Resources[functionId(template, 'serviceC')]?.Properties.Role['Fn::GetAtt'][0];
    const actions = iamStatements(template)
      .filter(({ owner }) => owner === role)
      .flatMap(({ statement }) => asArray(statement.Action));

    expect(actions.filter((action) => action.toLowerCase().startsWith('secretsmanager:'))).toEqual([]);
  });

  it('lets every other function read only its own service’s secret, the one its CLIENT_SECRET_ID names', () => {
    for (const [name, service] of Object.entries(SECRET_OF)) {
      if (service === null) continue;
      const fn = template.Resources[functionId(template, name)]!;
      const secretId = fn.Properties.Environment.Variables.CLIENT_SECRET_ID;
      const secretStatements = iamStatements(template).filter(
        ({ owner, statement }) =>
          owner === fn.Properties.Role['Fn::GetAtt'][0] && asArray(statement.Action).some((action) => action.toLowerCase().startsWith('secretsmanager:')),
      );

      expect(secretId, name).toBe(`${SERVICE}/${STAGE}/${service}`);
      expect(secretStatements.flatMap(({ statement }) => asArray(statement.Action)), name).toEqual(['secretsmanager:GetSecretValue']);
      expect(secretStatements.flatMap(({ statement }) => resourceStrings(statement.Resource)), name).toEqual([
        `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${secretId}-??????`,
      ]);
    }
  });

  it('caches authorizer verdicts for more than 0 s and no longer than the realm’s access tokens live', () => {
    const lifespan = accessTokenLifespanSeconds();
    const authorizers = resourcesOfType('AWS::ApiGateway::Authorizer');

    expect(authorizers.map(([, a]) => a.Properties.Name).sort()).toEqual(['authorizerA', 'authorizerB', 'authorizerC']);
    for (const [id, authorizer] of authorizers) {
      const ttl = Number(authorizer.Properties.AuthorizerResultTtlInSeconds);
      expect(authorizer.Properties.Type, id).toBe('TOKEN');
      expect(ttl, id).toBeGreaterThan(0);
      expect(ttl, `${id}: TTL ${ttl} s vs access-token lifespan ${lifespan} s`).toBeLessThanOrEqual(lifespan);
    }
  });

  it('lets only Bearer tokens reach the authorizers', () => {
    for (const [id, authorizer] of resourcesOfType('AWS::ApiGateway::Authorizer')) {
      const expression = new RegExp(authorizer.Properties.IdentityValidationExpression);

      expect(authorizer.Properties.IdentitySource, id).toBe('method.request.header.Authorization');
      expect(expression.test('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'), id).toBe(true);
      expect(expression.test('Basic c2VydmljZS1hOnNlY3JldA=='), id).toBe(false);
      expect(expression.test('Bearer '), id).toBe(false);
    }
  });

  it('leaves no route open to anonymous callers: the demo entry needs IAM, every other route a Keycloak token', () => {
    const methods = resourcesOfType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    const byType = Object.fromEntries(methods.map(([id, m]) => [id, m.Properties.AuthorizationType]));

    expect(methods.length).toBeGreaterThanOrEqual(5);
    expect(byType.ApiGatewayMethodRunDashserviceDashbGet).toBe('AWS_IAM');
    for (const [id, type] of Object.entries(byType)) {
      if (id !== 'ApiGatewayMethodRunDashserviceDashbGet') expect(type, id).toBe('CUSTOM');
    }
  });

  it('answers 401, 403 and 503 (authorizer failing closed) with JSON error bodies', () => {
    const responses = Object.fromEntries(resourcesOfType('AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    const expected = { UNAUTHORIZED: '401', ACCESS_DENIED: '403', AUTHORIZER_FAILURE: '503', AUTHORIZER_CONFIGURATION_ERROR: '503' };

    for (const [type, status] of Object.entries(expected)) {
      const body = JSON.parse(String(responses[type]?.ResponseTemplates?.['application/json']).replace('$context.requestId', 'id'));
      expect([type, responses[type]?.StatusCode]).toEqual([type, status]);
      expect(body, type).toEqual({ error: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String), request_id: 'id' });
    }
    expect(responses.UNAUTHORIZED?.ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe("'Bearer'");
  });

  it('points A at B and B at C through this stage of the deployed API, without a dependency cycle', () => {
    const apiUrl = { 'Fn::Sub': `https://\${ApiGatewayRestApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${STAGE}` };

    expect(findCycle(template)).toBeUndefined();
    expect(template.Resources[functionId(template, 'serviceA')]?.Properties.Environment.Variables.SERVICE_B_URL).toEqual(apiUrl);
    expect(template.Resources[functionId(template, 'serviceB')]?.Properties.Environment.Variables.SERVICE_C_URL).toEqual(apiUrl);
  });

  it('references the client secrets by name by default, creating them only when asked (createSecrets)', () => {
    const secrets = resourcesOfType('AWS::SecretsManager::Secret');

    expect(template.Parameters?.CreateClientSecrets).toMatchObject({ Default: 'false' });
    expect(secrets.map(([, s]) => s.Properties.Name).sort()).toEqual(['service-a', 'service-b', 'service-c'].map((s) => `${SERVICE}/${STAGE}/${s}`));
    for (const [id, secret] of secrets) {
      expect(secret.Condition, id).toBe('ClientSecretsInStack');
      expect(secret.Properties.SecretString, `${id} must not carry a value in the template`).toBeUndefined();
    }
  });

  it('ships one zip per function, each function’s code pointing at its own', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    const names = functions.map(([, resource]) => (resource.Properties.FunctionName as string).slice(`${SERVICE}-${STAGE}-`.length)).sort();
    const zips = readdirSync(packaged.outputDir).filter((file) => file.endsWith('.zip')).sort();

    expect(functions).toHaveLength(Object.keys(SECRET_OF).length);
    expect(Object.keys(packaged.artifacts).sort()).toEqual(names);
    expect(zips).toEqual(names.map((name) => `${name}.zip`).sort());
    for (const [id, resource] of functions) {
      const name = (resource.Properties.FunctionName as string).slice(`${SERVICE}-${STAGE}-`.length);
      expect([id, path.basename(resource.Properties.Code.S3Key as string)]).toEqual([id, path.basename(packaged.artifacts[name] as string)]);
    }
  });

  it('puts in each function’s zip only its own minified bundle and source map', () => {
    expect(Object.keys(packaged.artifacts)).toHaveLength(Object.keys(SECRET_OF).length);
    for (const row of bundleSizes(packaged.artifacts)) {
      const handler = template.Resources[functionId(template, row.name)]?.Properties.Handler as string;
      const bundle = `${handler.slice(0, handler.lastIndexOf('.'))}.js`;

      expect(row.files.sort(), row.name).toEqual([bundle, `${bundle}.map`]);
      expect(row.bundleBytes, `${row.name}: keep bundles small`).toBeLessThan(1024 * 1024);
    }
  });
});

describe(`serverless package --stage ${STAGE} --param lambdaTracing=Active`, () => {
  let packaged: PackagedService;
  let template: Template;

  beforeAll(() => {
    packaged = packageService({ stage: STAGE, params: { keycloakUrl: 'https://keycloak.example.com', lambdaTracing: 'Active' } });
    template = packaged.template;
  }, 300_000);

  afterAll(() => packaged?.remove());

  it('traces every function actively', () => {
    const functions = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(SECRET_OF).length);
    for (const [id, fn] of functions) expect([id, fn.Properties.TracingConfig]).toEqual([id, { Mode: 'Active' }]);
  });

  it("lets every function's role send traces, and nothing more: X-Ray's two write actions, on `*` (they have no resource-level permissions)", () => {
    const policies = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::IAM::Policy');
    expect(policies.map(([id]) => id)).toEqual(['XRayTraceWriteAccess']);
    const [, policy] = policies[0]!;
    const roles = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::IAM::Role').map(([id]) => ({ Ref: id }));
    expect(new Set(policy.Properties.Roles.map((role: { Ref: string }) => role.Ref))).toEqual(new Set(roles.map((role) => role.Ref)));
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ]);
  });

  it('passes cfn-lint with no errors and no warnings', () => {
    const lint = spawnSync('cfn-lint', ['--', packaged.templateFile], { encoding: 'utf8' });

    if (lint.error) throw new Error(`cfn-lint could not run (${lint.error.message}): install it with \`pip install cfn-lint\``);
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
  });
});
