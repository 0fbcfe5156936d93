import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, stackConfig } from '../../../../scripts/lib/config.mjs';

describe('stackConfig: where a stack keeps its state', () => {
  it('uses .stack/ for the default ports', () => {
    expect(stackConfig({}).stateDir).toBe(path.join(projectRoot, '.stack'));
  });

  it('gives a stack on other ports a folder of its own, so two stacks never share pid files or bundles', () => {
    const moved = stackConfig({
      KEYCLOAK_PORT: '18080',
      KEYCLOAK_MANAGEMENT_PORT: '19000',
      SECRETS_MANAGER_PORT: '14566',
      OFFLINE_HTTP_PORT: '13000',
      OFFLINE_LAMBDA_PORT: '13002',
    });

    expect(moved.stateDir).toBe(path.join(projectRoot, '.stack', 'ports-18080-19000-14566-13000-13002'));
    expect(stackConfig({ OFFLINE_HTTP_PORT: '13000' }).stateDir).not.toBe(moved.stateDir);
  });

  it('takes STACK_STATE_DIR as given', () => {
    expect(stackConfig({ STACK_STATE_DIR: '/tmp/some-stack' }).stateDir).toBe('/tmp/some-stack');
  });
});

describe('stackConfig: the local gateway’s authorizer cache', () => {
  it('is on by default with the verdict cap as its TTL', () => {
    expect(stackConfig({})).toMatchObject({ authorizerCache: 'on', introspectionCacheTtlSeconds: 60, authorizerResultTtlSeconds: 60 });
    expect(stackConfig({ INTROSPECTION_CACHE_TTL_SECONDS: '5' })).toMatchObject({ authorizerCache: 'on', authorizerResultTtlSeconds: 5 });
  });

  it('takes its own TTL from AUTHORIZER_RESULT_TTL_SECONDS', () => {
    expect(stackConfig({ INTROSPECTION_CACHE_TTL_SECONDS: '5', AUTHORIZER_RESULT_TTL_SECONDS: '30' }).authorizerResultTtlSeconds).toBe(30);
  });

  it('has a TTL of 0 when switched off', () => {
    expect(stackConfig({ OFFLINE_AUTHORIZER_CACHE: 'off', AUTHORIZER_RESULT_TTL_SECONDS: '30' })).toMatchObject({ authorizerCache: 'off', authorizerResultTtlSeconds: 0 });
  });
});
