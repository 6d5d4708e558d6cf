import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, type ClientSecretCredentialOptions, type TokenCredential } from '@azure/identity';
import { Client, MiddlewareFactory, type Context } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { CLOUDS, type GraphCloud } from '../clouds.ts';
import { PermanentError } from '../errors.ts';
import { ObserverMiddleware, reportSignInFailures, type GraphObserver } from './graph-observer.ts';
import { ChainLink } from './graph-middleware.ts';
import { TimeoutMiddleware } from './graph-timeout.ts';
import { explainDiscoveryFailures, signInFailure, type SignInFailure } from './sign-in-diagnosis.ts';

/**
 * Where a tenant's Graph lives and how we sign in to it. National clouds differ in the
 * Graph root, the authority and the token scope, and tokens never cross clouds.
 */

/**
 * A tenant's endpoints: its own cloud and hosts first. GRAPH_BASE_URL and GRAPH_AUTHORITY_HOST
 * are GRAPH_CLOUD's: a tenant of another cloud keeps that cloud's own hosts (a GCC
 * High tenant's secret and token went to the global override).
 */
export function tenantEndpoints(
  tenant: { cloud?: GraphCloud | undefined; baseUrl?: string | undefined; authorityHost?: string | undefined },
  g: { cloud: GraphCloud; baseUrl?: string | undefined; authorityHost?: string | undefined },
): GraphEndpoints {
  const cloud = tenant.cloud ?? g.cloud;
  const sameCloud = cloud === g.cloud;
  return graphEndpoints(cloud, {
    baseUrl: tenant.baseUrl ?? (sameCloud ? g.baseUrl : undefined),
    authorityHost: tenant.authorityHost ?? (sameCloud ? g.authorityHost : undefined),
  });
}

export interface GraphEndpoints {
  /** Graph root without a version segment (the client adds `/v1.0`). */
  baseUrl: string;
  authorityHost: string;
  /** The cloud's `.default` scope; an overridden base URL (a proxy) keeps its cloud's scope. */
  scope: string;
  /** Set when GRAPH_AUTHORITY_HOST points somewhere MSAL cannot validate through instance discovery. */
  customAuthority: boolean;
  /** Hostname of an overridden Graph root: the client only sends tokens to Graph hosts and these. */
  customHost: string | null;
}

/** The overrides come from the config or the tenants file, whose schemas allow https only. */
export function graphEndpoints(cloud: GraphCloud, overrides: { baseUrl?: string | undefined; authorityHost?: string | undefined } = {}): GraphEndpoints {
  const known = CLOUDS[cloud];
  const baseUrl = (overrides.baseUrl ?? known.graph).replace(/\/+$/, '').replace(/\/(v1\.0|beta)$/, '');
  const authorityHost = (overrides.authorityHost ?? known.authority).replace(/\/+$/, '');
  const customHost = overrides.baseUrl && !Object.values(CLOUDS).some((c) => c.graph === baseUrl) ? new URL(baseUrl).hostname : null;
  return {
    baseUrl,
    authorityHost,
    scope: `${known.graph}/.default`,
    customAuthority: overrides.authorityHost !== undefined && !Object.values(CLOUDS).some((c) => c.authority === authorityHost),
    customHost,
  };
}

/** How one tenant signs in: client secret, certificate (PEM with key), or managed identity. */
export interface TenantCredentials {
  tenantId: string;
  clientId?: string;
  clientSecret?: string;
  certificatePath?: string;
  certificatePassword?: string;
  managedIdentity?: boolean;
}

/** `timeoutMs`: the deadline of each of the sign-in's requests (GRAPH_TIMEOUT_SECONDS; doctor's own). */
export type CredentialFactory = (creds: TenantCredentials, endpoints: GraphEndpoints, timeoutMs: number) => TokenCredential;

type PipelinePolicy = NonNullable<ClientSecretCredentialOptions['additionalPolicies']>[number]['policy'];

/**
 * Each sign-in request with a deadline, as Graph's own have (graph-timeout.ts): @azure/identity
 * sets none, and a sign-in host that took the connection and never answered held a resolve
 * job, and its worker's slot, for good; two such tenants stopped every tenant's tickets.
 * The request is cancelled, its socket closed, and MSAL reports it unreachable.
 */
function deadline(timeoutMs: number, onTimeout: () => void): PipelinePolicy {
  return {
    name: 'syncdesk-sign-in-deadline',
    async sendRequest(request, next) {
      request.timeout = timeoutMs;
      const started = Date.now();
      try {
        return await next(request);
      } catch (err) {
        // the HTTP client cancels a request past its timeout as an abort
        if ((err as Error | null)?.name === 'AbortError' && Date.now() - started >= timeoutMs) onTimeout();
        throw err;
      }
    },
  };
}

export const createGraphCredential: CredentialFactory = (creds, endpoints, timeoutMs) => {
  let timedOutAt = 0;
  const options = {
    authorityHost: endpoints.authorityHost,
    disableInstanceDiscovery: endpoints.customAuthority,
    additionalPolicies: [{ policy: deadline(timeoutMs, () => (timedOutAt = Date.now())), position: 'perCall' as const }],
  };
  if (creds.managedIdentity) {
    const { additionalPolicies } = options;
    return creds.clientId ? new ManagedIdentityCredential({ clientId: creds.clientId, additionalPolicies }) : new ManagedIdentityCredential({ additionalPolicies });
  }
  if (!creds.clientId) throw new PermanentError(`tenant ${creds.tenantId}: a client id is required`, 'GraphConfig');
  const explained = (c: TokenCredential) => explainDiscoveryFailures(c, endpoints.authorityHost, creds.tenantId, timeoutMs, (t) => timedOutAt >= t);
  if (creds.certificatePath) {
    return explained(
      new ClientCertificateCredential(
        creds.tenantId,
        creds.clientId,
        { certificatePath: creds.certificatePath, certificatePassword: creds.certificatePassword },
        options,
      ),
    );
  }
  if (creds.clientSecret) return explained(new ClientSecretCredential(creds.tenantId, creds.clientId, creds.clientSecret, options));
  throw new PermanentError(`tenant ${creds.tenantId}: a client secret, a certificate or a managed identity is required`, 'GraphConfig');
};

/**
 * A credential whose cached token can be dropped. @azure/identity keeps a token until it nears
 * its expiry (an hour): one Graph refuses before that (401: revoked, the app's sessions cut)
 * would be sent again and again. Renewed, the next request signs in afresh.
 *
 * Requests made while a sign-in is on its way wait for that one: @azure/identity caches a
 * token only once it has it, so the chunks of a report looked up together at start each
 * signed in on their own (three metadata and three token requests in 10 ms).
 *
 * A sign-in host found unreachable is not asked again for `holdMs`: each of the tenant's
 * jobs would wait out its own deadline, a minute each, in the slots other tenants' jobs wait
 * for. They fail at once, saying when it was tried, and retry later.
 */
export class RenewableCredential implements TokenCredential {
  private inner: TokenCredential;
  private readonly signingIn = new Map<string, ReturnType<TokenCredential['getToken']>>();
  private unreachable: { at: number; err: Error } | null = null;
  constructor(
    private readonly make: () => TokenCredential,
    private readonly holdMs = 0,
  ) {
    this.inner = make();
  }
  getToken(...args: Parameters<TokenCredential['getToken']>): ReturnType<TokenCredential['getToken']> {
    const [scopes, options] = args;
    const down = this.unreachable;
    if (down && Date.now() - down.at < this.holdMs) {
      const ago = Math.round((Date.now() - down.at) / 1000);
      return Promise.reject(signInFailure(UNREACHABLE, `${down.err.message} (tried ${ago} s ago; asked again ${Math.round(this.holdMs / 1000)} s after that)`));
    }
    // a request for other claims (a claims challenge) is a sign-in of its own
    if (options?.claims) return this.inner.getToken(...args);
    const key = [scopes].flat().join(' ');
    const pending = this.signingIn.get(key);
    if (pending) return pending;
    const token = this.inner
      .getToken(...args)
      .then(
        (t) => {
          this.unreachable = null;
          return t;
        },
        (err: unknown) => {
          if ((err as Error | null)?.name === UNREACHABLE) this.unreachable = { at: Date.now(), err: err as Error };
          throw err;
        },
      )
      .finally(() => {
        if (this.signingIn.get(key) === token) this.signingIn.delete(key);
      });
    this.signingIn.set(key, token);
    return token;
  }
  renew(): void {
    this.inner = this.make();
    this.signingIn.clear();
    this.unreachable = null;
  }
}

const UNREACHABLE: SignInFailure = 'SignInHostUnreachable';

/** Renews the credential when Graph answers 401: the request fails as before, the next one gets a new token. */
class RenewOnUnauthorized extends ChainLink {
  constructor(private readonly credential: RenewableCredential) {
    super();
  }
  async execute(context: Context): Promise<void> {
    await this.next.execute(context);
    if (context.response?.status === 401) this.credential.renew();
  }
}


/**
 * The Graph client for one tenant: the real middleware chain (auth, RetryHandler for
 * 429/503/504, redirects), with `observe` (metrics) seeing each request on the wire and a
 * deadline on each attempt (graph-timeout.ts).
 */
export function createGraphClient(credential: TokenCredential, endpoints: GraphEndpoints, observe: GraphObserver | undefined, timeoutMs: number): Client {
  const authProvider = new TokenCredentialAuthenticationProvider(observe ? reportSignInFailures(credential, observe) : credential, { scopes: [endpoints.scope] });
  const chain = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  // just before the HTTP handler: after the RetryHandler, so every attempt is seen, and timed
  chain.splice(chain.length - 1, 0, ...(observe ? [new ObserverMiddleware(observe)] : []), new TimeoutMiddleware(timeoutMs));
  if (credential instanceof RenewableCredential) chain.unshift(new RenewOnUnauthorized(credential));
  return Client.initWithMiddleware({
    middleware: chain,
    baseUrl: endpoints.baseUrl,
    defaultVersion: 'v1.0',
    ...(endpoints.customHost ? { customHosts: new Set([endpoints.customHost]) } : {}),
  });
}
