// @ts-check
/**
 * A minimal client of Keycloak's admin REST API for the developer tools: logs in once with an
 * admin's password (admin-cli) and reads or changes one realm. Secrets it reads are returned to
 * the caller, never printed.
 * @see https://www.keycloak.org/docs-api/latest/rest-api/index.html
 */
import { passwordGrant, realmEndpoints } from './oidc.mjs';
import { StackError } from './proc.mjs';

/** @typedef {{ status: number, body: any }} AdminAnswer */

/** Keycloak refused the admin credentials; `fix` says what to set. */
export class AdminLoginError extends StackError {
  /** @param {string} message @param {string} fix */
  constructor(message, fix) {
    super(`${message} ${fix}`);
    this.name = 'AdminLoginError';
    this.detail = message;
    this.fix = fix;
  }
}

/**
 * Logs in as an admin and returns request helpers for `realm`.
 * @param {{ keycloakUrl: string, realm: string, user: string, password: string, adminRealm?: string,
 *           timeoutMs?: number, fetch?: typeof globalThis.fetch }} options
 */
export async function createAdminClient({ keycloakUrl, realm, user, password, adminRealm = 'master', timeoutMs = 10_000, fetch = globalThis.fetch }) {
  const login = await passwordGrant(realmEndpoints(keycloakUrl, adminRealm), { clientId: 'admin-cli', username: user, password }, { timeoutMs, fetch });
  const loginBody = login.body;
  if (login.status !== 200 || typeof loginBody.access_token !== 'string') {
    throw new AdminLoginError(
      `Keycloak refused the admin login of "${user}" in realm ${adminRealm} (HTTP ${login.status}${loginBody.error ? ` ${loginBody.error}` : ''}).`,
      'Set KEYCLOAK_ADMIN_USER and KEYCLOAK_ADMIN_PASSWORD to an administrator of that server.',
    );
  }
  const accessToken = loginBody.access_token;

  /**
   * One admin API call; `path` is relative to `/admin/realms`.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<AdminAnswer>}
   */
  async function request(method, path, body) {
    const response = await fetch(`${keycloakUrl}/admin/realms${path}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed };
  }

  /**
   * A GET of the realm's admin API that must succeed.
   * @param {string} path relative to `/admin/realms/<realm>`
   */
  async function get(path) {
    const answer = await request('GET', `/${encodeURIComponent(realm)}${path}`);
    if (answer.status !== 200) {
      throw new StackError(`The admin API answered HTTP ${answer.status} to GET ${path} in realm ${realm}.`);
    }
    return answer.body;
  }

  return {
    request,
    get,
    /**
     * The server's version (`/admin/serverinfo`), or undefined when this admin may not read it.
     * @returns {Promise<string | undefined>}
     */
    async serverVersion() {
      const response = await fetch(`${keycloakUrl}/admin/serverinfo`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        await response.arrayBuffer();
        return undefined;
      }
      const body = /** @type {{ systemInfo?: { version?: unknown } }} */ (await response.json());
      return typeof body.systemInfo?.version === 'string' ? body.systemInfo.version : undefined;
    },
    /**
     * The representation of a client, or undefined when the realm has none by that clientId.
     * @param {string} clientId
     */
    async client(clientId) {
      /** @type {any[]} */
      const found = await get(`/clients?clientId=${encodeURIComponent(clientId)}`);
      return found.find((c) => c.clientId === clientId);
    },
    /**
     * A confidential client's current secret.
     * @param {string} id the client's internal id (not its clientId)
     * @returns {Promise<string | undefined>}
     */
    async clientSecret(id) {
      const body = await get(`/clients/${id}/client-secret`);
      return typeof body?.value === 'string' ? body.value : undefined;
    },
  };
}
