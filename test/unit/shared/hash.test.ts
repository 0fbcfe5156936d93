import { describe, expect, it } from 'vitest';
import { sha256 } from 'keycloak-lambda-s2s';

describe('sha256', () => {
  it('returns the hex SHA-256 of the input (FIPS 180-2 test vector "abc")', () => {
    // Act
    const digest = sha256('abc');

    // Assess
    expect(digest).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('returns the SHA-256 of the empty string', () => {
    // Act
    const digest = sha256('');

    // Assess
    expect(digest).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('never contains the input', () => {
    // Prepare
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

    // Act
    const digest = sha256(token);

    // Assess
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toContain('eyJ');
  });

  it('differs for inputs that differ in one character', () => {
    // Act
    const digests = new Set([sha256('token-a'), sha256('token-b')]);

    // Assess
    expect(digests.size).toBe(2);
  });
});
