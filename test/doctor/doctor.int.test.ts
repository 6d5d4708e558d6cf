import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CheckResult } from '../../src/doctor/check.ts';
import { formatReport, runDoctor } from '../../src/doctor/run-doctor.ts';
import { announceHost } from '../../src/app/hosts.ts';
import { loadConfig } from '../../src/config.ts';
import { queuePrefix } from '../../src/redis/connection.ts';
import { emptyDirectory, user } from '../fakes/graph/directory.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial, type TlsMaterial } from '../fakes/graph/tls.ts';
import { services } from '../helpers/services.ts';
import { freePort } from '../helpers/ports.ts';
import { startForwardProxy } from '../helpers/forward-proxy.ts';

/**
 * `syncdesk doctor` against the real test services (Redis, Dovecot, RT) and the fake Graph.
 * The CLI runs as a child process: @azure/identity must trust the fake Graph's CA, which
 * Node reads from NODE_EXTRA_CA_CERTS only at start.
 */

const TENANT = '0d0d0d0d-0000-4000-8000-00000000000d';
const APP = { clientId: 'dddddddd-4444-4444-8444-444444444444', secret: 'graph-secret-good-1234' };

interface Report {
  ok: boolean;
  results: CheckResult[];
}

let tls: TlsMaterial;
let graph: FakeGraph;
let dir: string;

/** The config a working install would have, as a syncdesk.yaml, with the RT token as a `_FILE` secret. */
function goodConfig(): Record<string, unknown> {
  const s = services();
  return {
    redis: { url: s.REDIS_URL, prefix: `doctor-${randomUUID().slice(0, 8)}` },
    imap: { host: s.IMAP_HOST, port: Number(s.IMAP_TLS_PORT), secure: true, tlsCa: s.IMAP_TLS_CA, user: s.IMAP_USER, password: s.IMAP_PASSWORD, mailbox: 'INBOX' },
    graph: { tenantId: TENANT, clientId: APP.clientId, clientSecret: APP.secret, baseUrl: graph.url, authorityHost: graph.url },
    ticket: { sink: 'rt', rt: { url: s.RT_URL, queue: s.RT_QUEUE, keyField: s.RT_DEDUP_CF } },
    ingest: { storeDir: join(dir, 'mail') },
  };
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** `syncdesk doctor --config FILE [--json]` in a child that trusts the fake Graph. */
async function doctorCli(configPath: string, env: Record<string, string> = {}, json = true): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: tls.caPath, NO_COLOR: '1', ...env };
  const args = ['bin/syncdesk.js', 'doctor', '--config', configPath, '--timeout', '10', ...(json ? ['--json'] : [])];
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

function byCheck(report: Report): Record<string, CheckResult> {
  return Object.fromEntries(report.results.map((r) => [r.check, r]));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syncdesk-doctor-'));
  tls = makeTlsMaterial();
  const directory = emptyDirectory();
  directory.users.push(user({ userPrincipalName: 'someone@contoso.com', mail: 'someone@contoso.com', proxyAddresses: [] }));
  graph = await startFakeGraph({ tls, tenants: { [TENANT]: { apps: [APP], directory } } });
});

afterAll(async () => {
  await graph?.close();
});

describe('syncdesk doctor', () => {
  it('passes every check against the real test services and Graph, and prints no secret', async () => {
    const s = services();
    const tokenFile = join(dir, 'rt-token');
    writeFileSync(tokenFile, `${s.RT_TOKEN}\n`, { mode: 0o600 });
    const config = writeConfig('good.yaml', goodConfig());
    const { code, stdout, stderr } = await doctorCli(config, { RT_TOKEN_FILE: tokenFile });
    const report = JSON.parse(stdout) as Report;
    const checks = byCheck(report);
    // a skip is what is not configured, so not needed (Graph mail with MAIL_SOURCE=imap)
    expect(report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip'), stdout + stderr).toEqual([
      // the config file holds the IMAP password and the Graph secret: allowed, with a warning
      expect.objectContaining({ check: 'config secrets', status: 'warn', detail: expect.stringContaining('imap.password, graph.clientSecret') }),
    ]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(checks.redis!.detail).toMatch(/Redis \d+\.\d+.*maxmemory-policy noeviction/);
    expect(checks['imap login']!.detail).toContain(`${s.IMAP_USER}@${s.IMAP_HOST}`);
    expect(checks['imap mailbox']!.detail).toContain("'INBOX'");
    // Dovecot keeps keywords: the running service marks handled mail, so doctor must say so (blind test 18)
    expect(checks['imap marking']!.detail).toMatch(/^server keeps custom keywords: handled mails get \$SyncdeskHandled/);
    expect(checks[`graph ${TENANT}`]!.detail).toContain('token ok');
    expect(checks['desk rt']!.detail).toContain('token accepted');
    expect(checks['desk rt key field']!.detail).toContain(`'${s.RT_DEDUP_CF}' applies to queue '${s.RT_QUEUE}'`);
    expect(checks['mail store']!.status).toBe('pass');
    expect(graph.stats.callsByTenant[TENANT]).toBeGreaterThanOrEqual(3);
    for (const secret of [s.RT_TOKEN, s.IMAP_PASSWORD, APP.secret]) expect(stdout + stderr).not.toContain(secret);
  });

  it('reaches Graph, its sign-in and its lookups, through the HTTPS_PROXY of its environment with NODE_USE_ENV_PROXY=1, and says what goes around it without', async () => {
    const s = services();
    const tokenFile = join(dir, 'rt-token-proxy');
    writeFileSync(tokenFile, `${s.RT_TOKEN}\n`, { mode: 0o600 });
    // Graph at a port where nothing listens: only the proxy, which tunnels it to the fake, reaches it
    const unreachable = `127.0.0.1:${await freePort()}`;
    const proxy = await startForwardProxy({ [unreachable]: new URL(graph.url).host });
    // the fake names itself there too (its sign-in metadata, its next links), as Graph names its own host
    const own = graph.url;
    graph.url = `https://${unreachable}`;
    try {
      const config = writeConfig('proxied.yaml', { ...goodConfig(), graph: { tenantId: TENANT, clientId: APP.clientId, clientSecret: APP.secret, baseUrl: `https://${unreachable}`, authorityHost: `https://${unreachable}` } });
      const env = { RT_TOKEN_FILE: tokenFile, HTTPS_PROXY: proxy.url, NO_PROXY: 'example.invalid' };
      const on = JSON.parse((await doctorCli(config, { ...env, NODE_USE_ENV_PROXY: '1' })).stdout) as Report;
      expect(byCheck(on).proxy).toMatchObject({ status: 'pass', detail: `outbound requests go through ${proxy.url} (not for example.invalid): Graph, sign-in and the desks` });
      expect(byCheck(on)[`graph ${TENANT}`], JSON.stringify(on.results)).toMatchObject({ status: 'pass', detail: expect.stringContaining('token ok') });
      expect(proxy.seen).toContain(unreachable);

      // without it, sign-in (@azure/identity reads HTTPS_PROXY itself) gets through and the lookups do not: doctor says why
      const off = JSON.parse((await doctorCli(config, env)).stdout) as Report;
      expect(byCheck(off).proxy).toMatchObject({ status: 'warn', fix: expect.stringContaining('NODE_USE_ENV_PROXY=1') });
      expect(byCheck(off)[`graph ${TENANT}`]!.status).toBe('fail');
    } finally {
      graph.url = own;
      await proxy.close();
    }
  });

  it('reaches IMAP through IMAP_PROXY, and says to set it when only HTTPS_PROXY is set and IMAP cannot be reached', async () => {
    const s = services();
    const tokenFile = join(dir, 'rt-token-imap-proxy');
    writeFileSync(tokenFile, `${s.RT_TOKEN}\n`, { mode: 0o600 });
    // IMAP at a port where nothing listens: only the proxy, which tunnels it to Dovecot, reaches it
    const unreachable = `127.0.0.1:${await freePort()}`;
    const proxy = await startForwardProxy({ [unreachable]: `${s.IMAP_HOST}:${s.IMAP_TLS_PORT}` });
    try {
      const imap = { ...(goodConfig().imap as object), port: Number(unreachable.split(':')[1]) };
      const env = { RT_TOKEN_FILE: tokenFile, HTTPS_PROXY: proxy.url, NODE_USE_ENV_PROXY: '1', NO_PROXY: '127.0.0.1' };
      const through = JSON.parse((await doctorCli(writeConfig('imap-proxied.yaml', { ...goodConfig(), imap: { ...imap, proxy: proxy.url } }), env)).stdout) as Report;
      expect(byCheck(through)['imap login'], JSON.stringify(through.results)).toMatchObject({ status: 'pass', detail: expect.stringContaining(`${unreachable} through ${proxy.url}`) });
      expect(byCheck(through)['imap mailbox']!.status).toBe('pass');
      expect(proxy.seen).toContain(unreachable);

      const around = JSON.parse((await doctorCli(writeConfig('imap-unproxied.yaml', { ...goodConfig(), imap }), env)).stdout) as Report;
      expect(byCheck(around)['imap login']).toMatchObject({ status: 'fail', fix: expect.stringContaining(`set IMAP_PROXY (imap.proxy) to it (${proxy.url}`) });
    } finally {
      await proxy.close();
    }
  });

  it('names each fault of a broken config with its fix: IMAP password, RT token, Redis down, Graph secret', async () => {
    const good = goodConfig();
    const s = services();
    const broken = {
      ...good,
      // a port nothing listens on: Redis down
      redis: { url: `redis://127.0.0.1:${await freePort()}` },
      imap: { ...(good.imap as object), password: 'wrong-imap-password' },
      graph: { ...(good.graph as object), clientSecret: 'wrong-graph-secret' },
      ticket: { sink: 'rt', rt: { url: s.RT_URL, token: 'wrong-rt-token-0000', queue: s.RT_QUEUE, keyField: s.RT_DEDUP_CF } },
    };
    const { code, stdout, stderr } = await doctorCli(writeConfig('broken.yaml', broken));
    expect(code, stderr).toBe(1);
    const report = JSON.parse(stdout) as Report;
    const checks = byCheck(report);
    expect(report.ok).toBe(false);

    expect(checks.redis).toMatchObject({ status: 'fail', detail: expect.stringMatching(/not reachable.*ECONNREFUSED/), fix: expect.stringContaining('REDIS_URL') });
    expect(checks['imap login']).toMatchObject({ status: 'fail', detail: expect.stringContaining('login refused'), fix: expect.stringContaining('IMAP_PASSWORD') });
    expect(checks['imap mailbox']).toBeUndefined();
    expect(checks[`graph ${TENANT}`]).toMatchObject({ status: 'fail', detail: expect.stringContaining('no token'), fix: expect.stringMatching(/client secret is wrong or expired.*GRAPH_CLIENT_SECRET/) });
    expect(checks['desk rt']).toMatchObject({ status: 'fail', detail: expect.stringContaining('HTTP 401'), fix: expect.stringContaining('RT_TOKEN') });
    for (const secret of ['wrong-imap-password', 'wrong-graph-secret', 'wrong-rt-token-0000']) expect(stdout + stderr).not.toContain(secret);

    // the table says the same, with the fixes
    const table = await doctorCli(writeConfig('broken2.yaml', broken), {}, false);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^redis\s+FAIL\s+/m);
    expect(table.stdout).toMatch(/^imap login\s+FAIL\s+/m);
    expect(table.stdout).toMatch(/^desk rt\s+FAIL\s+/m);
    expect(table.stdout).toContain('fix: check RT_TOKEN');
    expect(table.stdout).toMatch(/\d+ checks failed/);
  });

  it('tells a tenant Entra does not know from a sign-in host that does not answer (MSAL says the same of both)', async () => {
    const good = goodConfig();
    const unknownTenant = 'a0a0a0a0-0000-4000-8000-00000000dead';
    const wrongTenant = await doctorCli(writeConfig('wrong-tenant.yaml', { ...good, graph: { ...(good.graph as object), tenantId: unknownTenant } }));
    const checks = byCheck(JSON.parse(wrongTenant.stdout) as Report);
    expect(checks[`graph ${unknownTenant}`]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`AADSTS90002: Tenant '${unknownTenant}' not found`),
      fix: expect.stringMatching(/^no such tenant at 127\.0\.0\.1:\d+: check GRAPH_TENANT_ID \(graph\.tenantId\), and GRAPH_CLOUD \(global\)/),
    });
    expect(wrongTenant.stdout).not.toContain('endpoints_resolution_error');

    const nowhere = `https://127.0.0.1:${await freePort()}`;
    const noHost = await doctorCli(writeConfig('no-authority.yaml', { ...good, graph: { ...(good.graph as object), authorityHost: nowhere } }));
    expect(byCheck(JSON.parse(noHost.stdout) as Report)[`graph ${TENANT}`]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(new RegExp(`${nowhere} does not answer \\(.*ECONNREFUSED`)),
      // the host it tried, whatever the cloud's usual one is (blind63 C4)
      fix: expect.stringContaining(`reach ${new URL(nowhere).host} (firewall, proxy, DNS)`),
    });
  });

  it('names an RT key field that does not exist, and a missing IMAP mailbox', async () => {
    const s = services();
    const good = goodConfig();
    const config = {
      ...good,
      graph: {},
      imap: { ...(good.imap as object), mailbox: 'NoSuchFolder' },
      ticket: { sink: 'rt', rt: { url: s.RT_URL, queue: s.RT_QUEUE, keyField: 'NoSuchKeyField' } },
    };
    const path = writeConfig('nokeyfield.yaml', config);
    const report = await runDoctor({ env: { SYNCDESK_CONFIG: path, RT_TOKEN: s.RT_TOKEN }, timeoutMs: 10_000 });
    const checks = byCheck(report);
    expect(report.ok).toBe(false);
    expect(checks['desk rt']!.status).toBe('pass');
    expect(checks['desk rt key field']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`no ticket custom field 'NoSuchKeyField' on queue '${s.RT_QUEUE}'`),
      fix: expect.stringContaining(`create a ticket custom field 'NoSuchKeyField'`),
    });
    // the real key field is listed, so the admin sees the likely typo
    expect(checks['desk rt key field']!.detail).toContain(s.RT_DEDUP_CF);
    expect(checks['imap mailbox']).toMatchObject({ status: 'fail', detail: expect.stringContaining("no mailbox 'NoSuchFolder'"), fix: expect.stringContaining('IMAP_MAILBOX') });
    expect(checks.graph).toMatchObject({ status: 'skip' });
    expect(checks.redis!.status).toBe('pass');
    const table = formatReport(report);
    expect(table).toMatch(/^desk rt key field\s+FAIL\s+no ticket custom field/m);
    expect(table).not.toContain(s.RT_TOKEN);
  });

  it("checks each tenant's own RT queue (the tenants file's desk.rt.queue) as RT_QUEUE's: one without the key field fails, naming the tenant", async () => {
    const s = services();
    const good = goodConfig();
    const tenants = join(dir, 'tenants-routes.yaml');
    writeFileSync(tenants, `tenants:\n  - { name: Contoso, tenantId: t-1, desk: { rt: { queue: ${s.RT_TENANT_QUEUE} } } }\n  - { name: Fabrikam, tenantId: t-2, desk: { rt: { queue: NoSuchQueue } } }\n`);
    const path = writeConfig('routes.yaml', { ...good, graph: { tenantsFile: tenants } });
    const checks = byCheck(await runDoctor({ env: { SYNCDESK_CONFIG: path, RT_TOKEN: s.RT_TOKEN }, timeoutMs: 10_000 }));
    expect(checks['desk rt key field']!.status).toBe('pass');
    expect(checks['desk rt queue of Contoso']).toMatchObject({ status: 'pass', detail: `custom field '${s.RT_DEDUP_CF}' applies to queue '${s.RT_TENANT_QUEUE}'` });
    expect(checks['desk rt queue of Fabrikam']).toMatchObject({
      status: 'fail',
      detail: "queue 'NoSuchQueue' not found or not visible to this user",
      fix: expect.stringContaining('set desk.rt.queue of Fabrikam in the tenants file'),
    });
  });

  it('warns when a process sharing its Redis runs with other settings, naming the host and the values', async () => {
    const s = services();
    const prefix = `doctor-hosts-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(s.REDIS_URL!);
    try {
      // a worker elsewhere announced itself with digest tickets and RT, where a started process
      // writes (its runtime's queue prefix: blind26 F8, doctor read the bare prefix and saw nobody)
      const theirs = loadConfig({ REDIS_URL: s.REDIS_URL!, REDIS_PREFIX: prefix, TICKET_DIGEST: 'true', TICKET_SINK: 'rt', RT_URL: s.RT_URL!, RT_TOKEN: 'x' });
      await announceHost(redis, queuePrefix(theirs.redis), theirs, ['resolve', 'ticket']);
      const report = await runDoctor({ env: { REDIS_URL: s.REDIS_URL!, REDIS_PREFIX: prefix }, timeoutMs: 10_000 });
      expect(byCheck(report)['scale-out']).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/resolve, ticket; started \d+ min ago\): TICKET_DIGEST=true \(here: false\), TICKET_SINK=rt \(here: file\)/),
      });
    } finally {
      await redis.del(`${prefix}:q:hosts`);
      await redis.quit();
    }
  });

  it("passes over a process of this host that is gone (killed: no clean stop took its record out), and forgets it (blind61 D8)", async () => {
    const s = services();
    const prefix = `doctor-dead-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(s.REDIS_URL!);
    try {
      const child = spawn(process.execPath, ['-e', '0']);
      const pid = child.pid!;
      await new Promise((r) => child.on('exit', r));
      const theirs = loadConfig({ REDIS_URL: s.REDIS_URL!, REDIS_PREFIX: prefix, TICKET_DIGEST: 'true' });
      const field = `${hostname()}:${pid}`;
      await redis.hset(`${queuePrefix(theirs.redis)}:hosts`, field, JSON.stringify({ host: hostname(), pid, roles: ['ticket'], at: new Date().toISOString(), shared: { digest: true, sink: 'file', onprem: false } }));
      const report = await runDoctor({ env: { REDIS_URL: s.REDIS_URL!, REDIS_PREFIX: prefix }, timeoutMs: 10_000 });
      expect(byCheck(report)['scale-out']).not.toMatchObject({ status: 'warn' });
      expect(await redis.hexists(`${queuePrefix(theirs.redis)}:hosts`, field)).toBe(0);
    } finally {
      await redis.del(`${prefix}:q:hosts`);
      await redis.quit();
    }
  });
});
