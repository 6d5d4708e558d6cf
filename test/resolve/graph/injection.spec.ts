import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { ClientSecretCredential } from '@azure/identity';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { Resolver } from '../../../src/resolve/resolver.ts';
import { parseFilter, type Node } from '../../fakes/graph/filter.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { APP_A, TENANT_A, configFor, redis, reportRef, silentLogger, startFake, syncError } from './harness.ts';

let fake: FakeGraph;
let client: Redis;
let resolver: Resolver;

beforeAll(async () => {
  fake = await startFake();
  client = redis();
  resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

/** Every string literal of a parsed filter. */
function literals(n: Node): string[] {
  switch (n.t) {
    case 'or': case 'and': return [...literals(n.l), ...literals(n.r)];
    case 'not': return literals(n.e);
    case 'any': return n.body ? literals(n.body) : [];
    case 'cmp': return typeof n.value === 'string' ? [n.value] : [];
    case 'fn': return [n.value];
  }
}

async function holdersOf(value: string, attribute = 'ProxyAddresses') {
  const e = syncError({ attributes: [{ name: attribute, value }] });
  return (await resolver.resolve(reportRef([e]), [e])).get(e.fingerprint)!;
}

describe('values are OData literals: quotes and operators can never change the filter', () => {
  const hostile = [
    "x' or 1 eq 1 or mail eq 'y",
    "nobody@contoso.com') or proxyAddresses/any(x:x ne '",
    'nobody@contoso.com&$filter=mail ne null',
    'nobody@contoso.com#fragment',
    "it's%27 or true@contoso.com",
    '\'\'\'',
  ];
  for (const value of hostile) {
    it(`${JSON.stringify(value)} matches nobody and reaches Graph as one intact value`, async () => {
      fake.resetStats();
      const r = await holdersOf(value);
      expect(r.verdict).toBe('no-holder'); // an injected `or 1 eq 1` would have matched every object
      expect(r.holders).toEqual([]);
      expect(fake.stats.filters.length).toBeGreaterThan(0);
      const bare = value.replace(/^smtp:/i, '');
      for (const f of fake.stats.filters) {
        for (const lit of literals(parseFilter(f))) expect(lit.replace(/^smtp:/i, '')).toBe(bare);
      }
    });
  }

  it("a real apostrophe, '+', '#' and non-ASCII in values find their holders", async () => {
    expect((await holdersOf("o'brien@contoso.com", 'UserPrincipalName')).holders[0]?.userPrincipalName).toBe("o'brien@contoso.com");
    const plus = await holdersOf('SMTP:a+b@contoso.com');
    expect(plus.holders.map((h) => h.userPrincipalName)).toEqual(['a+b@contoso.com']); // not 'a b@contoso.com'
    const guest = await holdersOf('partner_fabrikam.com#EXT#@contoso.onmicrosoft.com', 'UserPrincipalName');
    expect(guest.holders[0]?.userPrincipalName).toBe('partner_fabrikam.com#EXT#@contoso.onmicrosoft.com');
    expect((await holdersOf('smtp:MÜLLER@contoso.com')).holders[0]?.mail).toBe('müller@contoso.com');
  });

  it('the fake rejects what Graph rejects: an unescaped quote is a 400, not a wider query', async () => {
    const credential = new ClientSecretCredential(TENANT_A, APP_A.clientId, APP_A.secret, { authorityHost: fake.url, disableInstanceDiscovery: true });
    const raw = Client.initWithMiddleware({
      baseUrl: fake.url,
      customHosts: new Set(['127.0.0.1']),
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] }),
    });
    const err = await raw.api('/users').filter("mail eq 'o'brien@contoso.com'").get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).statusCode).toBe(400);
    expect((err as GraphError).code).toBe('BadRequest');
    const unsupported = await raw.api('/users').filter("endswith(userPrincipalName,'contoso.com')").get().catch((e: unknown) => e);
    expect((unsupported as GraphError).code).toBe('Request_UnsupportedQuery'); // advanced query without ConsistencyLevel + $count
    const literalOnly = await raw.api('/users').filter('1 eq 1').get().catch((e: unknown) => e);
    expect((literalOnly as GraphError).code).toBe('Request_UnsupportedQuery');
  });
});
