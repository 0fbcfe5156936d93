import { describe, expect, it } from 'vitest';
import { api, claims, userToken } from './helpers/stack';

describe('the delegation flow: a user’s token through A → B → C', () => {
  it('keeps the user as the subject at every hop while the client changes', async () => {
    const token = await userToken('alice');
    const alice = claims(token).sub;

    const answer = await api('GET', '/run-service-b/as-user', { token });

    expect(answer.status).toBe(200);
    expect(answer.body.service_c.result).toBe(20);
    expect(answer.body.caller).toEqual({ sub: alice, azp: 'service-a' });
    expect(answer.body.service_c.caller).toEqual({ sub: alice, azp: 'service-b' });
  });

  it('refuses with 403 a user who lacks C’s permission (the exchange for C is denied)', async () => {
    const token = await userToken('bob');

    const answer = await api('GET', '/run-service-b/as-user', { token });

    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain(token);
  });

  it('rejects the user’s token when it is sent to B directly (it is meant for A)', async () => {
    const token = await userToken('alice');
    expect(claims(token).aud).toBe('service-a');

    const answer = await api('POST', '/api/process', { token, body: { order_id: 1, amount: 5 } });

    expect(answer.status).toBe(401);
  });

  it('refuses the delegation route without a token', async () => {
    const answer = await api('GET', '/run-service-b/as-user');

    expect(answer.status).toBe(401);
  });
});
