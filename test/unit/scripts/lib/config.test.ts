import { describe, expect, it } from 'vitest';
import { stackConfig } from '../../../../scripts/lib/config.mjs';

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
