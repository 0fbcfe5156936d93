import { describe, expect, it } from 'vitest';
import { ORDER, expectRefused } from './helpers/attack';
import { api, claims, exchangedToken, keycloakAdmin, keycloakCallsDuring, runningStack, sleep, userToken } from './helpers/stack';

// B caches the token it exchanges for C by the caller (iss, sub, sid, azp, scope) rather than by
// the subject token (docs/security.md, "An exchanged token is shared only by tokens of the same
// caller"). These tests present tokens for B the way A makes them (a user's token exchanged by
// service-a for service-b) and count B's exchanges as token-endpoint calls at Keycloak's /metrics.

/** A token for B on behalf of the user of `userAccessToken`, as A obtains it: same user, same session. */
function tokenForB(userAccessToken: string): Promise<string> {
  return exchangedToken('service-a', userAccessToken, 'service-b');
}

async function idOf(kind: 'users' | 'clients', query: string): Promise<string> {
  const [found] = (await keycloakAdmin('GET', `/${kind}?${query}`)) as { id: string }[];
  if (!found) throw new Error(`no ${kind} for ${query}`);
  return found.id;
}

/** Grants (`POST`) or removes (`DELETE`) service-c's `analytics.run` to or from a user. */
async function analyticsRole(method: 'POST' | 'DELETE', username: string): Promise<void> {
  const userId = await idOf('users', `username=${username}&exact=true`);
  const clientId = await idOf('clients', 'clientId=service-c');
  const role = await keycloakAdmin('GET', `/clients/${clientId}/roles/analytics.run`);
  await keycloakAdmin(method, `/users/${userId}/role-mappings/clients/${clientId}`, [role]);
}

/** B's answer to an order, and the token-endpoint calls (B's exchanges for C) it cost. */
async function process(token: string): Promise<Awaited<ReturnType<typeof api>> & { exchanges: number }> {
  let answer: Awaited<ReturnType<typeof api>> | undefined;
  const calls = await keycloakCallsDuring(async () => {
    answer = await api('POST', '/api/process', { token, body: ORDER });
  });
  if (!answer) throw new Error('no answer');
  return { ...answer, exchanges: calls.token };
}

describe("B's exchanged tokens, shared by the tokens of one caller", () => {
  it('makes one exchange for two tokens of one user session, and another for a second session of that user', async () => {
    // Prepare: two tokens for B from alice's first session, one from a second session.
    const firstSession = await userToken('alice');
    const [tokenA, tokenB] = [await tokenForB(firstSession), await tokenForB(firstSession)];
    const otherSession = await tokenForB(await userToken('alice'));
    expect(claims(tokenA).sid).toBeDefined();
    expect(claims(tokenB).sid).toBe(claims(tokenA).sid);
    expect(claims(otherSession).sid).not.toBe(claims(tokenA).sid);

    // Act
    const first = await process(tokenA);
    const sameSession = await process(tokenB);
    const secondSession = await process(otherSession);

    // Assess
    for (const answer of [first, sameSession, secondSession]) {
      expect(answer.status).toBe(200);
      expect(answer.body.service_c.caller).toEqual({ sub: claims(tokenA).sub, azp: 'service-b' });
    }
    expect([first.exchanges, sameSession.exchanges, secondSession.exchanges]).toEqual([1, 0, 1]);
  });

  it("never hands another user alice's exchanged token: bob's chain is his own (403 without C's role, his sub with it)", async () => {
    // Prepare: alice's exchanged token is in B's cache.
    const alice = await tokenForB(await userToken('alice'));
    expect((await process(alice)).status).toBe(200);
    const bobWithoutRole = await tokenForB(await userToken('bob'));

    // Act: bob lacks analytics.run, so only alice's token could get him to C.
    const refused = await process(bobWithoutRole);
    await analyticsRole('POST', 'bob');
    let granted: Awaited<ReturnType<typeof process>>;
    try {
      granted = await process(await tokenForB(await userToken('bob')));
    } finally {
      await analyticsRole('DELETE', 'bob');
    }

    // Assess
    expectRefused(refused, 403, bobWithoutRole);
    expect(refused.text).not.toContain(claims(alice).sub as string);
    expect(granted.status).toBe(200);
    expect(granted.body.service_c.caller).toEqual({ sub: claims(bobWithoutRole).sub, azp: 'service-b' });
    expect(granted.exchanges).toBe(1);
  });

  it('stops the chain within the cache caps once the user’s session was ended, though B holds its exchanged token', async () => {
    // Prepare: one session, two tokens; the first fills B's cache, the second is served from it.
    const { revocationDelaySeconds } = runningStack();
    const session = await userToken('alice');
    const [first, second] = [await tokenForB(session), await tokenForB(session)];
    expect((await process(first)).status).toBe(200);
    expect((await process(second)).exchanges).toBe(0);

    // Act
    await keycloakAdmin('POST', `/users/${await idOf('users', 'username=alice&exact=true')}/logout`);
    await sleep((revocationDelaySeconds + 1) * 1000);
    const afterLogout = await process(second);
    const newSession = await process(await tokenForB(await userToken('alice')));

    // Assess
    expectRefused(afterLogout, 401, second);
    expect(afterLogout.exchanges).toBe(0);
    expect(newSession.status).toBe(200);
    expect(newSession.exchanges).toBe(1);
  }, 120_000);
});
