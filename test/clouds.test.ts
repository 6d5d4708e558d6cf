import { describe, expect, it } from 'vitest';
import { tenantEndpoints } from '../src/resolve/graph-credential.ts';
import { loadConfig } from '../src/config.ts';
import { parseTenants } from '../src/resolve/tenants.ts';

const TENANT = '0a0a0a0a-0000-4000-8000-00000000000a';
const CLIENT = 'aaaaaaaa-1111-4111-8111-111111111111';

describe('national clouds in the configuration (blind63)', () => {
  it('takes the names admins know each cloud by, in any case (C5)', () => {
    const cloudOf = (name: string) => loadConfig({ GRAPH_CLOUD: name }).graph.cloud;
    expect(['USGov', 'GCC High', 'gcchigh'].map(cloudOf)).toEqual(['usgov', 'usgov', 'usgov']);
    expect(['USGovDoD', 'DoD'].map(cloudOf)).toEqual(['usgovdod', 'usgovdod']);
    expect(['China', 'AzureChinaCloud', '21Vianet'].map(cloudOf)).toEqual(['china', 'china', 'china']);
    expect(['Global', 'AzureCloud'].map(cloudOf)).toEqual(['global', 'global']);
    // GCC (moderate) is the global cloud's, Azure's AzureUSGovernment both GCC High and DoD: refused, saying which to write (blind63b N5, N6)
    for (const name of ['gcc', 'AzureUSGovernment']) {
      expect(() => loadConfig({ GRAPH_CLOUD: name })).toThrow(/GRAPH_CLOUD.*expected one of global, usgov, usgovdod, china \(M365 GCC is global, GCC High usgov, DoD usgovdod/);
    }
  });

  it("refuses another cloud's Graph or sign-in host given for GRAPH_CLOUD; the cloud's own and a proxy of its own are fine (C3)", () => {
    expect(() => loadConfig({ GRAPH_CLOUD: 'usgov', GRAPH_BASE_URL: 'https://graph.microsoft.com' })).toThrow(
      /GRAPH_CLOUD.*https:\/\/graph\.microsoft\.com is the global cloud's Graph, not usgov's \(https:\/\/graph\.microsoft\.us\)/,
    );
    expect(() => loadConfig({ GRAPH_CLOUD: 'china', GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.us/' })).toThrow(/sign-in host, not china's/);
    expect(loadConfig({ GRAPH_CLOUD: 'usgovdod', GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.us' }).graph.cloud).toBe('usgovdod');
    expect(loadConfig({ GRAPH_CLOUD: 'usgov', GRAPH_BASE_URL: 'https://graph-proxy.example/v1.0' }).graph.baseUrl).toBe('https://graph-proxy.example/v1.0');
    // IMAP with OAuth2 at another cloud's Exchange: its token would be for this cloud's (blind63b N4)
    expect(() => loadConfig({ GRAPH_CLOUD: 'usgov', IMAP_HOST: 'outlook.office365.com', IMAP_USER: 'r@fabgov.us', IMAP_AUTH: 'oauth2' })).toThrow(
      /outlook\.office365\.com is the global cloud's Exchange Online, not usgov's \(outlook\.office365\.us\)/,
    );
    expect(loadConfig({ GRAPH_CLOUD: 'usgov', IMAP_HOST: 'outlook.office365.us', IMAP_USER: 'r@fabgov.us', IMAP_AUTH: 'oauth2' }).imap.host).toBe('outlook.office365.us');
  });

  it("keeps a tenant of another cloud on its own cloud's hosts, not on GRAPH_BASE_URL / GRAPH_AUTHORITY_HOST (C3)", () => {
    const g = loadConfig({ GRAPH_BASE_URL: 'https://graph.microsoft.com', GRAPH_AUTHORITY_HOST: 'https://login.microsoftonline.com' }).graph;
    expect(tenantEndpoints({ cloud: 'usgov' }, g)).toMatchObject({ baseUrl: 'https://graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us', scope: 'https://graph.microsoft.us/.default' });
    expect(tenantEndpoints({ cloud: 'global' }, g)).toMatchObject({ baseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com' });
    // its own hosts in the tenants file come first, as before
    expect(tenantEndpoints({ cloud: 'usgov', authorityHost: 'https://login-proxy.example' }, g).authorityHost).toBe('https://login-proxy.example');
  });

  it("refuses a tenants-file entry whose hosts are another cloud's than its own", () => {
    const file = `tenants:\n  - name: Fabrikam Gov\n    tenantId: ${TENANT}\n    domains: [fabgov.us]\n    clientId: ${CLIENT}\n    clientSecret: s\n    cloud: usgov\n    baseUrl: https://graph.microsoft.com\n`;
    expect(() => parseTenants(file, {})).toThrow(/Fabrikam Gov.*https:\/\/graph\.microsoft\.com is the global cloud's Graph, not usgov's/);
  });
});
