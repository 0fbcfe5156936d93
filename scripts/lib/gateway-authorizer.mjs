// @ts-check
/**
 * API Gateway's REST TOKEN-authorizer behaviour for the local stack, which stock serverless-offline
 * lacks: the result cache (per authorizer, keyed by the identity value, `resultTtlInSeconds`), the
 * cached policy evaluated against each request's own method ARN with IAM-style wildcards, the
 * identity source and `identityValidationExpression` checked before the authorizer is invoked, and
 * stable account and API ids in the method ARN. serverless-offline's authorizer scheme calls into
 * this module through a patch applied at install (patches/, docs/local-gateway.md).
 *
 * Dev tooling only: never bundled into a function.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
import { createHash } from 'node:crypto';

/** A 12-digit account id (the form AWS uses) that is nobody's real account in examples. */
export const DEFAULT_ACCOUNT_ID = '123456789012';
/** A 10-character REST API id, the form API Gateway generates. */
export const DEFAULT_API_ID = 'local0api1';
/** API Gateway's ceiling for `resultTtlInSeconds`. */
export const MAX_TTL_SECONDS = 3600;
/** API Gateway's default when `resultTtlInSeconds` is not set. */
export const DEFAULT_TTL_SECONDS = 300;

/**
 * @typedef {{ cache: boolean, accountId: string, apiId: string, maxEntries: number }} GatewaySettings
 * @typedef {{ Effect?: string, Action?: string | string[], Resource?: string | string[], NotResource?: unknown, NotAction?: unknown }} PolicyStatement
 * @typedef {{ Statement?: PolicyStatement | PolicyStatement[] }} PolicyDocument
 * @typedef {{ principalId?: string, policyDocument?: PolicyDocument, context?: Record<string, unknown>, usageIdentifierKey?: string }} AuthorizerResult
 * @typedef {{ ok: true, value: string } | { ok: false, reason: 'missing' | 'empty' | 'repeated' }} IdentityLookup
 */

/**
 * The gateway settings from the environment: `OFFLINE_AUTHORIZER_CACHE` (`on` | `off`, default on),
 * `OFFLINE_GATEWAY_ACCOUNT_ID` (12 digits), `OFFLINE_GATEWAY_API_ID` (10 lower-case letters or digits),
 * `OFFLINE_AUTHORIZER_CACHE_MAX_ENTRIES`. A malformed value throws, naming the variable.
 * @param {Record<string, string | undefined>} env
 * @returns {GatewaySettings}
 */
export function gatewaySettings(env) {
  const cache = env.OFFLINE_AUTHORIZER_CACHE || 'on';
  if (cache !== 'on' && cache !== 'off') throw new Error(`OFFLINE_AUTHORIZER_CACHE must be "on" or "off", not "${cache}"`);
  const accountId = env.OFFLINE_GATEWAY_ACCOUNT_ID || DEFAULT_ACCOUNT_ID;
  if (!/^\d{12}$/.test(accountId)) throw new Error('OFFLINE_GATEWAY_ACCOUNT_ID must be 12 digits');
  const apiId = env.OFFLINE_GATEWAY_API_ID || DEFAULT_API_ID;
  if (!/^[a-z0-9]{10}$/.test(apiId)) throw new Error('OFFLINE_GATEWAY_API_ID must be 10 lower-case letters or digits');
  const maxEntries = Number(env.OFFLINE_AUTHORIZER_CACHE_MAX_ENTRIES || 10_000);
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('OFFLINE_AUTHORIZER_CACHE_MAX_ENTRIES must be a positive integer');
  return { cache: cache === 'on', accountId, apiId, maxEntries };
}

/**
 * The method ARN API Gateway hands a TOKEN authorizer:
 * `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<resource path>`.
 * @param {{ region: string, accountId: string, apiId: string, stage: string, method: string, resourcePath: string }} parts
 */
export function methodArn({ region, accountId, apiId, stage, method, resourcePath }) {
  const path = resourcePath.startsWith('/') ? resourcePath : `/${resourcePath}`;
  return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${method.toUpperCase()}${path}`;
}

/**
 * The identity value of a header identity source, from Node's raw header list (name, value, name,
 * value…; Node's `headers` object keeps only the first `Authorization` line). A header sent more than
 * once is refused: AWS does not document which value a TOKEN authorizer receives then, so the local
 * gateway takes the fail-closed reading (401, authorizer not invoked).
 * @param {string[]} rawHeaders
 * @param {string} name header name, any case
 * @returns {IdentityLookup}
 */
export function headerIdentity(rawHeaders, name) {
  const wanted = name.toLowerCase();
  /** @type {string[]} */
  const values = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (String(rawHeaders[i]).toLowerCase() === wanted) values.push(String(rawHeaders[i + 1]));
  }
  if (values.length === 0) return { ok: false, reason: 'missing' };
  if (values.length > 1) return { ok: false, reason: 'repeated' };
  const [value] = /** @type {[string]} */ (values);
  if (value.trim() === '') return { ok: false, reason: 'empty' };
  return { ok: true, value };
}

/**
 * Whether `value` passes the authorizer's `identityValidationExpression` (none: every value passes).
 * API Gateway answers 401 without invoking the authorizer when it does not.
 * @param {string | undefined} expression
 * @param {string} value
 */
export function passesValidationExpression(expression, value) {
  if (!expression) return true;
  return new RegExp(expression).test(value);
}

/** @param {string} text */
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Compiled wildcard patterns, by mode and pattern. A cached policy is evaluated on every request and
 * repeats the same few resources, and compiling them each time was most of the gateway's own CPU per
 * request. Bounded: emptied when full (a policy's patterns come back at the next request).
 * @type {Map<string, RegExp>}
 */
const compiledPatterns = new Map();
const MAX_COMPILED_PATTERNS = 1000;

/**
 * An IAM wildcard pattern as an anchored regular expression: `*` any run of characters, `?` exactly
 * one, everything else literal. `crossColons: false` keeps a wildcard inside one ARN segment.
 * @param {string} pattern
 * @param {boolean} crossColons
 */
function globToRegExp(pattern, crossColons) {
  const key = `${crossColons ? 'any' : 'segment'}:${pattern}`;
  const compiled = compiledPatterns.get(key);
  if (compiled) return compiled;
  const any = crossColons ? '.' : '[^:]';
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? `${any}*` : c === '?' ? any : escapeRegExp(c)))
    .join('');
  // No `g` or `y` flag: `test` keeps no state, so one object serves every request.
  const regExp = new RegExp(`^${body}$`, 's');
  if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.clear();
  compiledPatterns.set(key, regExp);
  return regExp;
}

/**
 * Whether a policy `Resource` matches an execute-api ARN, as IAM matches ARNs: `*` alone matches
 * everything; otherwise the first five colon-separated segments (arn, partition, service, region,
 * account) match segment by segment, and the resource part (`apiId/stage/METHOD/path`) as a whole,
 * where `*` also spans `/` (so `…/dev/*` covers every method and path of stage dev). Case-sensitive.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 * @param {string} pattern
 * @param {string} arn
 */
export function resourceMatches(pattern, arn) {
  if (typeof pattern !== 'string') return false;
  if (pattern === '*') return true;
  const patternParts = splitArn(pattern);
  const arnParts = splitArn(arn);
  if (!patternParts || !arnParts) return false;
  for (let i = 0; i < 5; i += 1) {
    if (!globToRegExp(/** @type {string} */ (patternParts[i]), false).test(/** @type {string} */ (arnParts[i]))) return false;
  }
  return globToRegExp(/** @type {string} */ (patternParts[5]), true).test(/** @type {string} */ (arnParts[5]));
}

/**
 * `arn:partition:service:region:account:resource` in six parts (the resource keeps its own colons).
 * @param {string} arn
 */
function splitArn(arn) {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** @param {unknown} value @returns {unknown[]} */
const asList = (value) => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/**
 * Whether a statement's `Action` covers `execute-api:Invoke` (`*`, `execute-api:*`, …; action names
 * are case-insensitive in IAM). A statement without `Action` covers nothing.
 * @param {PolicyStatement} statement
 */
function coversInvoke(statement) {
  return asList(statement.Action).some((action) => typeof action === 'string' && globToRegExp(action.toLowerCase(), true).test('execute-api:invoke'));
}

/**
 * API Gateway's decision for one request from a policy: an explicit Deny matching the ARN wins,
 * else an Allow matching it allows, else it is denied (403). Statements this emulation does not
 * evaluate (`NotResource`, `NotAction`) count as matching when they deny and never when they allow:
 * fail closed.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
 * @param {PolicyDocument | undefined} policyDocument
 * @param {string} arn
 * @returns {'allow' | 'deny'}
 */
export function evaluatePolicy(policyDocument, arn) {
  const statements = /** @type {PolicyStatement[]} */ (asList(policyDocument?.Statement)).filter((s) => s && typeof s === 'object');
  /** @param {PolicyStatement} s */
  const unsupported = (s) => s.NotResource !== undefined || s.NotAction !== undefined;
  /** @param {PolicyStatement} s */
  const matches = (s) => coversInvoke(s) && asList(s.Resource).some((resource) => resourceMatches(/** @type {string} */ (resource), arn));
  if (statements.some((s) => s.Effect === 'Deny' && (unsupported(s) || matches(s)))) return 'deny';
  if (statements.some((s) => s.Effect === 'Allow' && !unsupported(s) && matches(s))) return 'allow';
  return 'deny';
}

/**
 * The result TTL API Gateway applies: `resultTtlInSeconds` (default 300, at most 3600), 0 when the
 * local cache is switched off. Only TOKEN authorizers of REST APIs are cached here.
 * @param {{ resultTtlInSeconds?: unknown, type?: string, payloadVersion?: string }} options serverless-offline's authorizer options
 * @param {GatewaySettings} settings
 */
export function resultTtlSeconds(options, settings) {
  if (!settings.cache) return 0;
  if (options.payloadVersion !== '1.0' || (options.type ?? 'token').toLowerCase() !== 'token') return 0;
  const raw = options.resultTtlInSeconds;
  const ttl = raw === undefined || raw === null || raw === '' ? DEFAULT_TTL_SECONDS : Number(raw);
  if (!Number.isFinite(ttl) || ttl <= 0) return 0;
  return Math.min(MAX_TTL_SECONDS, Math.floor(ttl));
}

/**
 * API Gateway's authorizer result cache: per authorizer, keyed by the identity value (held as its
 * sha256, never raw), each entry kept `ttlSeconds`, bounded (least recently used dropped first).
 * Only a returned policy is cached; an `Unauthorized` or a failure is not.
 */
export class AuthorizerResultCache {
  /** @type {Map<string, { expiresAt: number, result: AuthorizerResult }>} */
  #entries = new Map();
  #maxEntries;
  #now;

  /** @param {{ maxEntries?: number, now?: () => number }} [options] */
  constructor({ maxEntries = 10_000, now = Date.now } = {}) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** @param {string} authorizer @param {string} identity */
  static key(authorizer, identity) {
    return `${authorizer}\0${createHash('sha256').update(identity).digest('hex')}`;
  }

  /**
   * A copy of the cached result, or undefined on a miss or an expired entry.
   * @param {string} authorizer @param {string} identity
   * @returns {AuthorizerResult | undefined}
   */
  get(authorizer, identity) {
    const key = AuthorizerResultCache.key(authorizer, identity);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return structuredClone(entry.result);
  }

  /**
   * @param {string} authorizer @param {string} identity
   * @param {AuthorizerResult} result @param {number} ttlSeconds
   */
  set(authorizer, identity, result, ttlSeconds) {
    if (ttlSeconds <= 0) return;
    const key = AuthorizerResultCache.key(authorizer, identity);
    this.#entries.delete(key);
    this.#entries.set(key, { expiresAt: this.#now() + ttlSeconds * 1000, result: structuredClone(result) });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size() {
    return this.#entries.size;
  }

  clear() {
    this.#entries.clear();
  }
}

/** Whether an authorizer's answer is a policy API Gateway would cache. @param {unknown} result */
const isPolicyResult = (result) =>
  typeof result === 'object' && result !== null && typeof (/** @type {AuthorizerResult} */ (result).principalId) === 'string' && typeof (/** @type {AuthorizerResult} */ (result).policyDocument) === 'object';

/**
 * The gateway: settings, one result cache shared by every route of every authorizer, and the step
 * that answers from the cache or invokes the authorizer and caches its policy.
 * @param {{ settings: GatewaySettings, now?: () => number }} options
 */
export function createGateway({ settings, now = Date.now }) {
  const cache = new AuthorizerResultCache({ maxEntries: settings.maxEntries, now });
  return {
    settings,
    cache,
    /**
     * The authorizer's result for `identity`: from the cache within its TTL, else from `invoke()`,
     * whose policy is then cached (an error propagates and is not cached).
     * @template {AuthorizerResult} R
     * @param {string} authorizer @param {string} identity @param {number} ttlSeconds
     * @param {() => Promise<R>} invoke
     * @returns {Promise<{ result: R, fromCache: boolean }>}
     */
    async resultFor(authorizer, identity, ttlSeconds, invoke) {
      if (ttlSeconds > 0) {
        const cached = cache.get(authorizer, identity);
        if (cached) return { result: /** @type {R} */ (cached), fromCache: true };
      }
      const result = await invoke();
      if (ttlSeconds > 0 && isPolicyResult(result)) cache.set(authorizer, identity, result, ttlSeconds);
      return { result, fromCache: false };
    },
  };
}

/** The gateway of this serverless-offline process, configured from its environment. */
export const gateway = createGateway({ settings: gatewaySettings(process.env) });
