import type { GetTokenOptions, TokenCredential } from '@azure/identity';
import axios from 'axios';

/**
 * MSAL says only "endpoints_resolution_error" both for a tenant Entra does not know and for a
 * sign-in host nothing answers at. The first is a slip in the config that no retry mends
 * (unresolved at once, saying so); the second an outage, a firewall or a proxy (retried).
 * The discovery document MSAL could not read tells which (a replay retried an
 * unknown tenant for minutes, saying only "endpoints_resolution_error").
 */

/**
 * What each diagnosis is called. The Graph client keeps nothing of an error its auth provider
 * throws but its name (as the GraphError's code) and its message, so the diagnosis is a plain
 * Error named by its code, and classifyThrown reads what the queue should do from the name.
 */
export const SIGN_IN_FAILURES = {
  SignInHostUnreachable: 'transient',
  SignInHostBusy: 'transient',
  SignInRefused: 'permanent',
} as const;
export type SignInFailure = keyof typeof SIGN_IN_FAILURES;

const DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * Wraps a credential so that its "endpoints_resolution_error" says which of the two it is,
 * asking within `timeoutMs` (10 s at most). `timedOutSince(t)`: whether one of the sign-in's
 * requests ran out of time since `t`; the host then did not answer, and asking again would
 * only wait as long once more.
 */
export function explainDiscoveryFailures(
  inner: TokenCredential,
  authorityHost: string,
  tenantId: string,
  timeoutMs = DISCOVERY_TIMEOUT_MS,
  timedOutSince: (t: number) => boolean = () => false,
): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions) {
      const started = Date.now();
      try {
        return await inner.getToken(scopes, options);
      } catch (err) {
        if (!/endpoints_resolution_error/.test(String((err as Error)?.message))) throw err;
        if (timedOutSince(started)) throw signInFailure('SignInHostUnreachable', `Graph sign-in host ${authorityHost} does not answer (no answer within ${Math.round(timeoutMs / 1000)} s)`);
        throw (await diagnoseDiscovery(authorityHost, tenantId, Math.min(timeoutMs, DISCOVERY_TIMEOUT_MS))) ?? err;
      }
    },
  };
}

/** What the tenant's discovery document says; null when it reads fine (MSAL's failure was something else). */
async function diagnoseDiscovery(authorityHost: string, tenantId: string, timeoutMs: number): Promise<Error | null> {
  const url = `${authorityHost}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
  let res;
  try {
    res = await axios.get<{ error_description?: string }>(url, { timeout: timeoutMs, validateStatus: () => true });
  } catch (err) {
    const e = err as { message?: string; code?: string };
    const why = e.code && !String(e.message).includes(e.code) ? `${e.message} (${e.code})` : e.message;
    return signInFailure('SignInHostUnreachable', `Graph sign-in host ${authorityHost} does not answer (${why})`);
  }
  if (res.status < 300) return null;
  const said = typeof res.data?.error_description === 'string' ? res.data.error_description.split(/ Trace ID:/)[0]!.trim() : '';
  const text = `${url} answers HTTP ${res.status}${said ? `: ${said}` : ''}`;
  // "AADSTS90002: Tenant '…' not found" (its code makes it permanent), or a host that is no Entra sign-in host at all
  return signInFailure(res.status === 429 || res.status >= 500 ? 'SignInHostBusy' : 'SignInRefused', `Graph sign-in failed: ${text}`);
}

/** A sign-in failure named by its code, as classifyThrown reads it. */
export function signInFailure(code: SignInFailure, message: string): Error {
  return Object.assign(new Error(message), { name: code, code });
}
