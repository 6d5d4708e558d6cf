import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { tokenFix } from '../../src/doctor/graph-check.ts';
import { checkImap } from '../../src/doctor/imap-check.ts';
import { signInFailure } from '../../src/resolve/sign-in-diagnosis.ts';

/**
 * What doctor tells an admin to fix when a sign-in fails names the host that was tried and the
 * settings that chose it: a GCC High sign-in was sent to fix login.microsoftonline.com, a
 * tenants-file entry to GRAPH_TENANT_ID, and a cross-cloud app got a generic "check ids"
 * (blind63 C4).
 */

const gcc = { fromFile: true, ownHost: false, authorityHost: 'https://login.microsoftonline.us', cloud: 'usgov' as const };

describe('sign-in fixes name the host, the cloud and the settings that were used', () => {
  it('an unreachable sign-in host of a national cloud is that host', () => {
    const err = signInFailure('SignInHostUnreachable', 'Graph sign-in host https://login.microsoftonline.us does not answer (ECONNREFUSED)');
    expect(tokenFix(err, { ...gcc, fromFile: false })).toBe('let this host reach login.microsoftonline.us (firewall, proxy, DNS), or correct GRAPH_CLOUD / GRAPH_AUTHORITY_HOST');
    expect(tokenFix(err, gcc)).toContain("or correct the entry's cloud in the tenants file / GRAPH_AUTHORITY_HOST");
  });

  it("an app registered in another cloud (AADSTS900382) says so; an unknown tenant or app of a tenants-file entry names the entry's fields and its cloud", () => {
    const cross = new Error('AADSTS900382: Confidential Client is not supported in Cross Cloud request.');
    expect(tokenFix(cross, gcc)).toBe("the app is registered in another cloud than the tenant (signed in at login.microsoftonline.us, the usgov cloud's): register it in the tenant's cloud, or correct the entry's cloud in the tenants file");
    const noTenant = new Error("AADSTS90002: Tenant '0d0d' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");
    expect(tokenFix(noTenant, { ...gcc, cloud: 'china', authorityHost: 'https://login.partner.microsoftonline.cn' })).toBe(
      "no such tenant at login.partner.microsoftonline.cn: check the entry's tenantId, and the entry's cloud in the tenants file (china): a tenant is found only in its own cloud",
    );
    expect(tokenFix(noTenant, { ...gcc, fromFile: false })).toContain('check GRAPH_TENANT_ID (graph.tenantId), and GRAPH_CLOUD (usgov)');
    const noApp = new Error("AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.");
    expect(tokenFix(noApp, gcc)).toContain("check the entry's clientId");
  });

  it("IMAP with OAuth2 whose sign-in fails is told about the sign-in, not the app's Exchange permissions", async () => {
    const config = loadConfig({ GRAPH_CLOUD: 'usgov', GRAPH_TENANT_ID: 't', GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: 's', IMAP_HOST: '127.0.0.1', IMAP_USER: 'reports@fabgov.us', IMAP_AUTH: 'oauth2' });
    const refused = () => Promise.reject(new Error("AADSTS90002: Tenant 't' not found."));
    const [row] = await checkImap(config, { getAccessToken: refused, env: {} });
    expect(row).toMatchObject({ status: 'fail', fix: expect.stringContaining('no such tenant at login.microsoftonline.us: check GRAPH_TENANT_ID') });
    expect(row!.fix).not.toContain('IMAP.AccessAsApp');
  });

  it("IMAP that Exchange refuses in a national cloud names the cloud's Exchange environment (blind63b N3)", async () => {
    const config = loadConfig({ GRAPH_CLOUD: 'usgov', GRAPH_TENANT_ID: 't', GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: 's', IMAP_HOST: '127.0.0.1', IMAP_PORT: '1', IMAP_USER: 'reports@fabgov.us', IMAP_AUTH: 'oauth2' });
    const [row] = await checkImap(config, { getAccessToken: async () => 'token', env: {}, timeoutMs: 2_000 });
    expect(row!.fix).toContain('IMAP.AccessAsApp');
    expect(row!.fix).toContain('in the US Government (GCC High) cloud (Connect-ExchangeOnline -ExchangeEnvironmentName O365USGovGCCHigh)');
  });
});
