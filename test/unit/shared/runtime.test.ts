import { describe, expect, it } from 'vitest';
import { once } from '../../../shared/runtime';

describe('once', () => {
  it('builds the value on first use and returns the same value afterwards', () => {
    // Prepare
    let builds = 0;
    const get = once(() => ({ build: ++builds }));

    // Act
    const first = get();
    const second = get();

    // Assess
    expect(first).toBe(second);
    expect(builds).toBe(1);
  });

  it('does not build before first use', () => {
    // Prepare
    let builds = 0;

    // Act
    once(() => ++builds);

    // Assess
    expect(builds).toBe(0);
  });

  it('builds again after a build that threw, so a fixed setting is picked up', () => {
    // Prepare
    let attempts = 0;
    const get = once(() => {
      attempts++;
      if (attempts === 1) throw new Error('Environment variable X is required');
      return 'built';
    });

    // Act
    const first = () => get();

    // Assess
    expect(first).toThrow('Environment variable X is required');
    expect(get()).toBe('built');
    expect(attempts).toBe(2);
  });
});
