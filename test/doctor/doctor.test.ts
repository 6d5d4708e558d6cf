import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { probeDesk } from '../../src/ticket/sinks/index.ts';
import { checkConfig } from '../../src/doctor/config-check.ts';
import { checkGraph, type GraphProbe } from '../../src/doctor/graph-check.ts';
import { versionAtLeast } from '../../src/doctor/redis-check.ts';
import { formatReport, redactResults, runDoctor } from '../../src/doctor/run-doctor.ts';
import { fail, pass, warn } from '../../src/doctor/check.ts';
import { FakeJira } from '../fakes/jira.ts';
import { FakeServiceNow } from '../fakes/servicenow.ts';
import { FakeZendesk } from '../fakes/zendesk.ts';

const GRAPH_ENV = { GRAPH_TENANT_ID: 'tenant-1', GRAPH_CLIENT_ID: 'client-1', GRAPH_CLIENT_SECRET: 'shh-secret' };

/** A Graph that answers like Entra and Graph do, per path: 200, or a GraphError-shaped 403. */
function stubProbe(forbidden: string[], tokenError?: Error): GraphProbe {
  return {
    token: async () => {
      if (tokenError) throw tokenError;
    },
    get: async (path) => {
      if (forbidden.includes(path)) throw Object.assign(new Error('Insufficient privileges to complete the operation.'), { statusCode: 403, code: 'Authorization_RequestDenied' });
      return { value: [{ id: '1' }] };
    },
    query: async () => ({ value: [] }),
  };
}

describe('doctor: Graph', () => {
  it('names the missing application permissions on 403', async () => {
    const config = loadConfig(GRAPH_ENV);
    const [r] = await checkGraph(config, { probe: () => stubProbe(['/groups', '/contacts']), env: {} });
    expect(r).toMatchObject({ check: 'graph tenant-1', status: 'fail', ok: false, detail: 'tenant-1: token ok, but Graph answers 403 for Group.Read.All, OrgContact.Read.All' });
    expect(r!.fix).toContain('application permissions Group.Read.All, OrgContact.Read.All');
    expect(r!.fix).toContain('Grant admin consent');
  });

  it('a sign-in host whose certificate Node does not trust (a TLS-inspecting proxy) is told to trust its issuer, not to open a firewall (blind40 G5)', async () => {
    const unreachable = (why: string) => Object.assign(new Error(`Graph sign-in host https://login.example does not answer (${why})`), { name: 'SignInHostUnreachable', code: 'SignInHostUnreachable' });
    const [tls] = await checkGraph(loadConfig(GRAPH_ENV), { probe: () => stubProbe([], unreachable('self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)')), env: {} });
    expect(tls!.fix).toContain('NODE_EXTRA_CA_CERTS');
    expect(tls!.fix).not.toContain('firewall');
    const [closed] = await checkGraph(loadConfig(GRAPH_ENV), { probe: () => stubProbe([], unreachable('connect ECONNREFUSED 127.0.0.1:443 (ECONNREFUSED)')), env: {} });
    expect(closed!.fix).toContain('firewall, proxy, DNS');
    // a tenants-file entry with its own sign-in host: that is the setting to check (blind58 M5)
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-doctor-host-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, 'tenants:\n  - { name: Broken, tenantId: t-b, domains: [broken.example], clientId: c, clientSecret: s, authorityHost: "https://login.broken.example" }\n');
    const [own] = await checkGraph(loadConfig({ GRAPH_TENANTS_FILE: file }), { probe: () => stubProbe([], unreachable('connect ECONNREFUSED 127.0.0.1:443 (ECONNREFUSED)')), env: {} });
    expect(own!.fix).toBe("let this host reach login.broken.example (firewall, proxy, DNS), or correct the tenant's authorityHost in the tenants file");
  });

  it('passes when users, groups and contacts are readable', async () => {
    const [r] = await checkGraph(loadConfig(GRAPH_ENV), { probe: () => stubProbe([]), env: {} });
    expect(r).toMatchObject({ status: 'pass', ok: true });
  });

  it('explains a refused secret (AADSTS7000215) and an unknown app', async () => {
    const secret = new Error('ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.');
    const [a] = await checkGraph(loadConfig(GRAPH_ENV), { probe: () => stubProbe([], secret), env: {} });
    expect(a!.fix).toMatch(/client secret is wrong or expired.*GRAPH_CLIENT_SECRET/);
    const app = new Error('AADSTS700016: Application with identifier client-1 was not found in the directory');
    const [b] = await checkGraph(loadConfig(GRAPH_ENV), { probe: () => stubProbe([], app), env: {} });
    expect(b!.fix).toContain('GRAPH_CLIENT_ID');
  });

  it('a tenants-file entry with no sign-in (consent pending) is said to be answered from its snapshot, not signed in (blind34 M4); an ambiguous file is a warning (M6)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-doctor-tenants-'));
    const file = join(dir, 'tenants.yaml');
    writeFileSync(file, 'tenants:\n  - { name: Pending, tenantId: t-p, domains: [pending.example] }\n  - { name: Other, tenantId: t-o, domains: [pending.example], clientId: c, clientSecret: s }\n');
    let probed = 0;
    const results = await checkGraph(loadConfig({ GRAPH_TENANTS_FILE: file }), { probe: () => (probed++, stubProbe([])), env: {} });
    expect(results[0]).toMatchObject({ check: 'graph Pending', status: 'skip', detail: expect.stringContaining('looked up in its directory snapshot') });
    expect(probed).toBe(1);
    const config = checkConfig({ GRAPH_TENANTS_FILE: file });
    expect(config.result.find((r) => r.check === 'graph tenants file')).toMatchObject({ status: 'warn', detail: expect.stringContaining('domain pending.example is listed for Pending and Other') });
  });

  it('skips when Graph is not configured, and fails when half of it is', async () => {
    expect((await checkGraph(loadConfig({}), { env: {} }))[0]).toMatchObject({ status: 'skip', ok: true });
    expect((await checkGraph(loadConfig({ GRAPH_TENANT_ID: 't' }), { env: {} }))[0]).toMatchObject({ status: 'fail', ok: false });
  });
});

describe('doctor: the environment', () => {
  it('names a variable that looks like a misspelt setting, with the setting it was likely meant for (blind61 D6)', () => {
    const env = { TICKETS_DIR: '/srv/tickets', ADMIN_PASSWORD_FLE: '/run/secrets/admin', SHUTDOWN_TIMEOUT: '5', TICKET_DIR: '/srv/t', HOME: '/root', NODE_OPTIONS: '', HTTPS_PROXY: 'http://p:3128' };
    const { result } = checkConfig(env);
    expect(result.find((r) => r.check === 'config environment')).toMatchObject({
      status: 'warn',
      detail: "no setting of syncdesk's, ignored: ADMIN_PASSWORD_FLE (did you mean ADMIN_PASSWORD_FILE?), SHUTDOWN_TIMEOUT (did you mean SHUTDOWN_TIMEOUT_SECONDS?), TICKETS_DIR (did you mean TICKET_DIR?)",
    });
    expect(checkConfig({ TICKET_DIR: '/srv/t', RT_TOKEN_FILE: '/run/secrets/rt', HOME: '/root' }).result.find((r) => r.check === 'config environment')).toBeUndefined();
  });
});

describe('doctor: output', () => {
  it('never shows a configured secret, in details or fixes', () => {
    const out = redactResults([fail('x', 'login as bob with s3cr3t-value failed', 'check s3cr3t-value')], ['s3cr3t-value']);
    expect(out[0]).toMatchObject({ detail: 'login as bob with *** failed', fix: 'check ***' });
  });

  it('never shows the password of a URL it names: desk, LDAP, authority (blind35 S5)', async () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:9',
      TICKET_SINK: 'rt',
      RT_URL: 'https://agent:URLSECRET-RT@127.0.0.1:9/rt',
      RT_TOKEN: 'token-value',
      ONPREM_URL: 'ldaps://svc:URLSECRET-LDAP@127.0.0.1:9',
      ONPREM_BIND_DN: 'CN=svc,DC=contoso,DC=com',
      ONPREM_BIND_PASSWORD: 'bind-password',
      ONPREM_BASE_DN: 'DC=contoso,DC=com',
    };
    const report = await runDoctor({ env, timeoutMs: 3_000 });
    const shown = JSON.stringify(report);
    expect(shown).toContain('https://***@127.0.0.1:9/rt');
    expect(shown).not.toMatch(/URLSECRET|agent:/);
    expect(redactResults([fail('x', 'authority https://a:b@login.example/ and ldap://c@dc1 failed', 'fix')], [])[0]!.detail).toBe('authority https://***@login.example/ and ldap://***@dc1 failed');
  }, 30_000);

  it('prints a table with the fix under each failing or warning row, and a summary', () => {
    const table = formatReport({ ok: false, results: [pass('config', 'valid'), warn('redis', 'policy allkeys-lru', 'set noeviction'), fail('desk rt', 'HTTP 401', 'check RT_TOKEN')] });
    expect(table.split('\n')).toEqual([
      'CHECK    STATUS  DETAIL / HOW TO FIX',
      'config   ok      valid',
      'redis    WARN    policy allkeys-lru',
      '                 fix: set noeviction',
      'desk rt  FAIL    HTTP 401',
      '                 fix: check RT_TOKEN',
      '',
      '1 check failed, 1 warning.',
      '',
    ]);
  });

  it('compares Redis versions numerically', () => {
    expect(versionAtLeast('6.2.0', [6, 2, 0])).toBe(true);
    expect(versionAtLeast('7.0.15', [6, 2, 0])).toBe(true);
    expect(versionAtLeast('6.0.16', [6, 2, 0])).toBe(false);
    expect(versionAtLeast('10.0.0', [6, 2, 0])).toBe(true);
  });
});

describe('doctor: SaaS service desks (against the fakes)', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('ServiceNow: a correlation_id query works; a wrong password is named', async () => {
    const fake = new FakeServiceNow({ user: 'svc', password: 'pw-good' });
    await fake.start();
    stop = () => fake.stop();
    const env = { TICKET_SINK: 'servicenow', SERVICENOW_URL: fake.url, SERVICENOW_USER: 'svc' };
    expect(await probeDesk(loadConfig({ ...env, SERVICENOW_PASSWORD: 'pw-good' }), 5_000)).toEqual([
      expect.objectContaining({ status: 'pass', detail: expect.stringContaining('correlation_id query on incident works') }),
      expect.objectContaining({ check: 'desk servicenow close code', status: 'pass' }),
    ]);
    const [bad] = await probeDesk(loadConfig({ ...env, SERVICENOW_PASSWORD: 'pw-bad' }), 5_000);
    expect(bad).toMatchObject({ status: 'fail', detail: expect.stringContaining('HTTP 401'), fix: expect.stringContaining('SERVICENOW_PASSWORD') });
  });

  it('Zendesk: the API token is accepted; a wrong one is named', async () => {
    const fake = new FakeZendesk({ email: 'bot@example.com', token: 'zd-good' });
    await fake.start();
    stop = () => fake.stop();
    const env = { TICKET_SINK: 'zendesk', ZENDESK_URL: fake.url, ZENDESK_EMAIL: 'bot@example.com' };
    expect((await probeDesk(loadConfig({ ...env, ZENDESK_TOKEN: 'zd-good' }), 5_000))[0]).toMatchObject({ status: 'pass' });
    expect((await probeDesk(loadConfig({ ...env, ZENDESK_TOKEN: 'zd-bad' }), 5_000))[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('ZENDESK_TOKEN') });
  });

  it('Jira: project, issue type and the configured transitions; a wrong project is named', async () => {
    const fake = new FakeJira({ email: 'bot@example.com', token: 'api-token', project: 'OPS' });
    await fake.start();
    stop = () => fake.stop();
    const env = { TICKET_SINK: 'jira', JIRA_URL: fake.url, JIRA_EMAIL: 'bot@example.com', JIRA_TOKEN: 'api-token', JIRA_PROJECT: 'OPS' };
    // an empty project: transitions cannot be read yet
    expect(await probeDesk(loadConfig(env), 5_000)).toEqual([
      expect.objectContaining({ check: 'desk jira', status: 'pass' }),
      expect.objectContaining({ check: 'desk jira create screen', status: 'pass' }),
      expect.objectContaining({ check: 'desk jira transitions', status: 'skip' }),
    ]);
    const config = loadConfig(env);
    await createJiraTicketSink(config.ticket.jira, { logger: createLogger({ level: 'silent' }) }).create({ key: 'k1', summary: 's', keyDisplay: 'k1', body: [{ kind: 'paragraph', text: 'x' }] }, { idempotencyKey: 'doctor' });
    const withIssue = await probeDesk(config, 5_000);
    expect(withIssue[2]).toMatchObject({ check: 'desk jira transitions', status: 'pass', detail: expect.stringContaining('Done') });
    expect(withIssue[3]).toMatchObject({ check: 'desk jira resolve screen', status: 'pass' });
    const odd = await probeDesk(loadConfig({ ...env, JIRA_RESOLVE_TRANSITIONS: 'Finish', JIRA_REOPEN_TRANSITIONS: 'Again' }), 5_000);
    expect(odd[2]).toMatchObject({ status: 'warn', fix: expect.stringContaining('JIRA_RESOLVE_TRANSITIONS') });
    expect((await probeDesk(loadConfig({ ...env, JIRA_PROJECT: 'NOPE' }), 5_000))[0]).toMatchObject({ status: 'fail', detail: "project 'NOPE' not found or not visible" });
    expect((await probeDesk(loadConfig({ ...env, JIRA_ISSUE_TYPE: 'Epic' }), 5_000))[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('JIRA_ISSUE_TYPE') });
    expect((await probeDesk(loadConfig({ ...env, JIRA_TOKEN: 'wrong' }), 5_000))[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('JIRA_TOKEN') });
  });
});
