import { describe, expect, it } from 'vitest';
import { portInUseMessage } from '../../../../scripts/lib/proc.mjs';

describe('portInUseMessage', () => {
  it('names the port, the component and the variable that moves it, in one sentence', () => {
    const message = portInUseMessage('Keycloak', '127.0.0.1', 8080, 'KEYCLOAK_PORT');

    expect(message).toBe(
      'Port 8080 on 127.0.0.1 is already in use, so Keycloak cannot start: stop whatever holds it ' +
        '(`lsof -i :8080` shows it) or set KEYCLOAK_PORT to a free port.',
    );
    expect(message).not.toContain('\n');
  });
});
