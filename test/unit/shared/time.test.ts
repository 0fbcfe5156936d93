import { describe, expect, it } from 'vitest';
import { epochSeconds } from 'keycloak-lambda-s2s';

describe('epochSeconds', () => {
  it('converts the clock milliseconds to whole seconds, rounding down', () => {
    // Act
    const seconds = epochSeconds(() => 1_700_000_000_999);

    // Assess
    expect(seconds).toBe(1_700_000_000);
  });
});
