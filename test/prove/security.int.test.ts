import type { DeskName } from '../helpers/desks.ts';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import axios from 'axios';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLedger } from '../../src/ingest/ledger.ts';
import { createIngestor } from '../../src/ingest/ingest-mail.ts';
import { createSenderTrust } from '../../src/ingest/sender-trust.ts';
import { listQuarantine } from '../../src/ingest/quarantine.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { emptyDirectory, user } from '../fakes/graph/directory.ts';
import { parseFilter, type Node } from '../fakes/graph/filter.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial, type TlsMaterial } from '../fakes/graph/tls.ts';
import { adfProblem, FakeJira } from '../fakes/jira.ts';
import { FakeServiceNow } from '../fakes/servicenow.ts';
import { FakeZendesk } from '../fakes/zendesk.ts';
import { repeatedTopLevelKeys } from '../helpers/json-keys.ts';
import { services } from '../helpers/services.ts';
import { fakeGraphEnv } from '../e2e/graph-env.ts';
import { dkimKey, dkimSigned, fakeResolver, forwardedAsAttachment, reportMail } from '../ingest/helpers.ts';
import { expectedProblems, rtClient, runCli, sleep, spawnCli, tempDir, uid, until, type CliChild, type ExpectedProblem, jobCounts } from './helpers.ts';
import { freePort } from '../helpers/ports.ts';

/**
 * Security:
 * 1. forged senders are quarantined under TRUST_POLICY=strict (DNS answered locally);
 * 2. values carrying OData and markup injection go through the whole pipeline (a worker
 *    process, the fake Graph, each desk) and arrive harmless: every Graph filter is still
 *    only equality tests on the one whole value (no clause added), and each desk shows the
 *    text literally (escaped markup, ADF text nodes, plain text);
 * 3. no configured secret appears in any log line of any command run with LOG_LEVEL=debug,
 *    on good paths and failing ones (desk faults, Graph throttling, wrong credentials);
 * 4. the admin dashboard refuses anonymous users and wrong passwords.
 *
 *   npm run prove:security
 */

const hex = () => randomBytes(12).toString('hex');
const SECRETS = {
  GRAPH_CLIENT_SECRET: `graph-${hex()}`,
  SERVICENOW_PASSWORD: `sn-${hex()}`,
  JIRA_TOKEN: `jira-${hex()}`,
  ZENDESK_TOKEN: `zd-${hex()}`,
  REDIS_PASSWORD: `redis-${hex()}`,
  ADMIN_PASSWORD: `admin-${hex()}`,
};
const TENANT_ID = '0e0e0e0e-0000-4000-8000-00000000000e';
const APP = { clientId: 'eeeeeeee-5555-4555-8555-555555555555', secret: SECRETS.GRAPH_CLIENT_SECRET };

/** Everything every command printed, checked for secrets at the end. */
const logs: Array<{ what: string; output: string }> = [];
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

function baseEnv(dir: string): Record<string, string> {
  return {
    REDIS_URL: services().REDIS_URL!,
    REDIS_PREFIX: `p${uid()}`,
    REDIS_PASSWORD: SECRETS.REDIS_PASSWORD, // the test Redis has none: ioredis warns and goes on
    MAIL_STORE_DIR: join(dir, 'mail'),
    TRUST_POLICY: 'off',
    LOG_LEVEL: 'debug',
    ADMIN_PASSWORD: SECRETS.ADMIN_PASSWORD,
  };
}

describe('forged senders (TRUST_POLICY=strict)', () => {
  it('are quarantined with a reason; genuine reports pass', async () => {
    const ms = dkimKey();
    const attacker = dkimKey();
    const resolver = fakeResolver({ 'sel._domainkey.microsoftonline.com': ms.txt, '_dmarc.microsoftonline.com': 'v=DMARC1; p=reject' });
    const sign = (message: string, key: string) => dkimSigned(message, 'microsoftonline.com', key);
    const dir = tempDir('trust');
    const config = loadConfig({ ...baseEnv(dir), REDIS_PASSWORD: '', TRUST_POLICY: 'strict', TRUSTED_AUTHSERV_IDS: 'mx.prove.test', LOG_LEVEL: 'silent' });
    expect(config.ingest.trustPolicy).toBe('strict');
    const runtime = await openRuntime(config, createLogger({ level: 'silent' }));
    cleanup.push(async () => {
      for (const q of [runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true });
      await runtime.close();
    });
    const ingestor = createIngestor({
      redis: runtime.redis.client as never,
      store: runtime.store,
      config,
      logger: createLogger({ level: 'silent' }),
      queueReports: runtime.queueReports,
      // the policy and settings from config; DNS answered here, never on the network
      trust: createSenderTrust({ policy: config.ingest.trustPolicy, allowedForwarders: config.ingest.allowedForwarders, trustedAuthServIds: config.ingest.trustedAuthServIds, resolver }),
    });
    const t = uid();
    const ar = (id: string, verdict: string) => `Authentication-Results: ${id}; dkim=${verdict} header.d=microsoftonline.com; dmarc=${verdict} header.from=microsoftonline.com\r\n`;
    const forged: Record<string, Buffer> = {
      'no signature': Buffer.from(reportMail(`${t}01`)),
      'signed with an attacker key': await sign(reportMail(`${t}02`), attacker.privateKey),
      'genuine signature, body altered': Buffer.from((await sign(reportMail(`${t}03`), ms.privateKey)).toString().replace('Fabrikam, Inc..', 'Evil, Inc..')),
      '"pass" from an untrusted authserv-id': Buffer.from(ar('mx.attacker.example', 'pass') + reportMail(`${t}04`)),
      'forged trusted "pass" below the real MX verdict': Buffer.from(ar('mx.prove.test', 'fail') + ar('mx.prove.test', 'pass') + reportMail(`${t}05`)),
      'display name spoof': Buffer.from(reportMail(`${t}06`, { from: '"MSOnlineServicesTeam@MicrosoftOnline.com" <alerts@evil.example>' })),
      'look-alike domain': Buffer.from(reportMail(`${t}07`, { from: 'MSOnlineServicesTeam@MicrosoftOnIine.com' })),
      'forwarded by an unknown admin': Buffer.from(forwardedAsAttachment(reportMail(`${t}08`), 'someone@evil.example', `${t}08`)),
    };
    const genuine: Record<string, Buffer> = {
      'valid Microsoft DKIM': await sign(reportMail(`${t}11`), ms.privateKey),
      'trusted MX says dmarc=pass': Buffer.from(ar('mx.prove.test', 'pass') + reportMail(`${t}12`)),
    };
    const meta = { origin: 'imap' as const, receivedAt: new Date() };
    for (const [name, raw] of Object.entries(forged)) {
      const r = await ingestor.ingest(raw, meta);
      expect(r.status, name).toBe('quarantined');
      expect(r.reason, name).toBeTruthy();
      expect(await createLedger(runtime.redis.client as never, config.redis.prefix).get(r.mailId), name).toMatchObject({ status: 'quarantined', reason: r.reason });
      expect(r.reports, name).toBeUndefined();
    }
    expect(await runtime.queues.ticket.count(), 'no report flow queued for a forged mail').toBe(0);
    for (const [name, raw] of Object.entries(genuine)) {
      const r = await ingestor.ingest(raw, meta);
      expect(r.status, `${name}: ${r.reason}`).toBe('queued');
    }
    const quarantine = await listQuarantine(runtime.redis.client as never, config.redis.prefix);
    expect(quarantine).toHaveLength(Object.keys(forged).length);
    console.log(`[prove:security] strict trust: ${Object.keys(forged).length}/${Object.keys(forged).length} forged mails quarantined (${Object.keys(forged).join('; ')}); ${Object.keys(genuine).length}/${Object.keys(genuine).length} genuine queued`);
  });
});

// --- injection through the whole pipeline ------------------------------------------------

const HOSTILE_UPNS = [
  "x'or'1'eq'1@bigcorp.com",
  "o'brien')or(mail%20ne%20'x@bigcorp.com",
  '<script>alert(1)</script>@bigcorp.com',
  '<img_src=x_onerror=alert(1)>@bigcorp.com',
];
const HOSTILE_PROXIES = ["SMTP:eve')or(true)or('x@bigcorp.com", 'smtp:<svg/onload=alert(1)>@bigcorp.com'];

function injectionReport(tenant: string): Buffer {
  const text = (attr: string, value: string) =>
    `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [${attr} ${value};]. Correct or remove the duplicate values in your local directory. |`;
  const rows = [
    ...HOSTILE_UPNS.map((v) => `${v} | ${text('UserPrincipalName', v)}`),
    ...HOSTILE_PROXIES.map((v, i) => `onprem${i}@bigcorp.com | ${text('ProxyAddresses', v)}`),
  ];
  return Buffer.from(
    [
      'From: MSOnlineServicesTeam@MicrosoftOnline.com',
      'To: admin@bigcorp.com',
      'Subject: Directory Synchronization Error Report',
      'Date: Mon, 30 Sep 2013 14:09:12 +0000',
      `Message-ID: <inj-${uid()}@microsoftonline.com>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset="us-ascii"',
      '',
      `The Directory Synchronization batch run was completed on Monday, 30 September 2013 14:05:41 GMT for tenant ${tenant}.`,
      'The following errors occurred during synchronization:',
      '',
      'Identity | Error Description |',
      ...rows,
      '',
    ].join('\r\n'),
  );
}

/**
 * The value of a filter built for one looked-up value: the resolver's filters are `p eq 'v'`,
 * `p/any(x:x eq 'v')`, or an `or` of such tests (and `endswith(userPrincipalName,'v')` for
 * deleted users), every test on the same whole value. Anything else (another clause, an
 * operator other than eq/endswith, a second value) means an injection changed the filter:
 * then this returns null.
 */
function soleValue(filter: string): string | null {
  const leaves: Array<string | null> = [];
  const walk = (n: Node): void => {
    if (n.t === 'or') return void (walk(n.l), walk(n.r));
    const cmp = n.t === 'any' ? n.body : n;
    if (cmp?.t === 'cmp' && cmp.op === 'eq' && typeof cmp.value === 'string') leaves.push(cmp.value);
    else if (cmp?.t === 'fn' && cmp.name === 'endswith' && n.t === 'fn') leaves.push(cmp.value);
    else leaves.push(null);
  };
  walk(parseFilter(filter));
  const values = new Set(leaves.map((v) => (v === null ? null : bare(v))));
  return values.size === 1 && !values.has(null) ? [...values][0]! : null;
}

const bare = (v: string) => v.replace(/^smtp:/i, '').toLowerCase();

interface DeskCase {
  env(): Record<string, string>;
  start?(): Promise<void>;
  /** Per problem: the desk's text of the ticket (what an agent sees) and its markup, if any. */
  inspect(expected: Map<string, ExpectedProblem>): Promise<Array<{ value: string; summary: string; text: string; markup: string | null }>>;
}

let fake: FakeGraph;
let tls: TlsMaterial;

async function runPipeline(name: string, desk: DeskCase, options: { expectFailure?: boolean } = {}) {
  const dir = tempDir(`sec-${name}`);
  const env = {
    ...baseEnv(dir),
    ...fakeGraphEnv(fake, TENANT_ID, APP),
    ...desk.env(),
  };
  const runtime: Runtime = await openRuntime(loadConfig({ ...env, REDIS_PASSWORD: '', LOG_LEVEL: 'silent' }), createLogger({ level: 'silent' }));
  cleanup.push(async () => {
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true });
    await runtime.close();
  });
  const child: CliChild = spawnCli(['worker', '--queues', 'resolve,ticket'], env, { extraNodeEnv: { NODE_EXTRA_CA_CERTS: tls.caPath } });
  cleanup.push(() => child.kill());
  await child.waitFor('workers ready', 60_000);
  const raw = injectionReport(`Prove Sec ${uid()}`);
  const expected = await expectedProblems(raw, runtime.reportRef);
  fake.resetStats();
  fake.throttle({ everyNth: 3, retryAfterSeconds: 1 }); // the retry paths log too
  expect((await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');
  await until(
    `the ${name} run`,
    async () => {
      const c = await jobCounts(runtime.queues.ticket, 'completed', 'failed', 'delayed');
      if (options.expectFailure) return c.failed + c.delayed >= 1;
      if (c.failed) throw new Error(`ticket job failed: ${(await runtime.queues.ticket.getFailed())[0]?.failedReason}`);
      return c.completed >= 1;
    },
    180_000,
    200,
  );
  fake.throttle(null);
  const filters = [...fake.stats.filters];
  if (options.expectFailure) await sleep(1_000); // let the failure be logged
  await child.kill('SIGTERM');
  logs.push({ what: `worker (${name})`, output: child.output() });
  return { expected, filters };
}

function checkFilters(expected: Map<string, ExpectedProblem>, filters: string[]): void {
  const values = new Set([...expected.values()].map((p) => bare(p.value)));
  const literals = filters.map((f) => [f, soleValue(f)] as const);
  expect(literals.filter(([, lit]) => lit === null).map(([f]) => f), 'filters that are not equality tests on one value').toEqual([]);
  const hostile = [...HOSTILE_UPNS, ...HOSTILE_PROXIES].map(bare);
  for (const v of hostile) {
    expect(values.has(v), `the parser kept ${v} whole`).toBe(true);
    expect(literals.some(([, lit]) => bare(lit!) === v), `${v} reached Graph as one literal`).toBe(true);
  }
}

function checkDesk(name: string, expected: Map<string, ExpectedProblem>, shown: Awaited<ReturnType<DeskCase['inspect']>>): void {
  expect(shown).toHaveLength(expected.size);
  for (const s of shown) {
    const v = s.value.replace(/^smtp:/i, '');
    expect(s.summary, `${name} summary of ${v}`).toContain(v);
    expect(s.text, `${name} shows ${v} literally`).toContain(v);
    if (s.markup !== null) {
      // markup never carries the value's tags as tags
      for (const tag of ['<script', '<img_src', '<svg']) if (v.includes(tag)) expect(s.markup, `${name} markup of ${v}`).not.toContain(tag);
    }
  }
}

describe('injection: OData and markup in values reach Graph and the desks harmless; no secret in any log line', () => {
  it('ServiceNow, Jira, Zendesk (fakes, 20 % faults) and RT (real)', async () => {
    tls = makeTlsMaterial();
    const directory = emptyDirectory();
    directory.users.push(user({ userPrincipalName: 'x@bigcorp.com', mail: 'x@bigcorp.com', proxyAddresses: ['SMTP:x@bigcorp.com'] })); // what an injected `or` would match
    fake = await startFakeGraph({ tls, tenants: { [TENANT_ID]: { apps: [APP], directory } } });
    cleanup.push(() => fake.close());

    const sn = new FakeServiceNow({ user: 'syncdesk', password: SECRETS.SERVICENOW_PASSWORD });
    const jira = new FakeJira({ email: 'bot@example.com', token: SECRETS.JIRA_TOKEN });
    const zd = new FakeZendesk({ email: 'agent@example.com', token: SECRETS.ZENDESK_TOKEN });
    for (const f of [sn, jira, zd]) {
      await f.start();
      f.server.faults = { ...f.server.faults, failRate: 0.1, rateLimitEvery: 10 };
      cleanup.push(() => f.stop());
    }
    const textOfAdf = (node: unknown): string => {
      const n = node as { text?: string; content?: unknown[] };
      return (n.text ?? '') + (n.content ?? []).map(textOfAdf).join('\n');
    };
    const desks: Record<Exclude<DeskName, 'file'>, DeskCase> = {
      servicenow: {
        env: () => ({ TICKET_SINK: 'servicenow', SERVICENOW_URL: sn.url, SERVICENOW_USER: 'syncdesk', SERVICENOW_PASSWORD: SECRETS.SERVICENOW_PASSWORD }),
        inspect: async (exp) =>
          [...exp.values()].map((p) => {
            const i = sn.byKey(p.key)[0]!;
            expect(i.description).not.toMatch(/\[code\]/i);
            return { value: p.value, summary: i.short_description, text: i.description, markup: null };
          }),
      },
      jira: {
        env: () => ({ TICKET_SINK: 'jira', JIRA_URL: jira.url, JIRA_EMAIL: 'bot@example.com', JIRA_TOKEN: SECRETS.JIRA_TOKEN, JIRA_PROJECT: 'OPS' }),
        inspect: async (exp) =>
          [...exp.values()].map((p) => {
            const i = [...jira.issues.values()].find((x) => x.fields.labels.includes(p.key))!;
            expect(adfProblem(i.fields.description)).toBeNull();
            expect(JSON.stringify(i.fields.description)).not.toMatch(/"type":"(link|inlineCard|mention)"/);
            return { value: p.value, summary: i.fields.summary, text: textOfAdf(i.fields.description), markup: null };
          }),
      },
      zendesk: {
        env: () => ({ TICKET_SINK: 'zendesk', ZENDESK_URL: zd.url, ZENDESK_EMAIL: 'agent@example.com', ZENDESK_TOKEN: SECRETS.ZENDESK_TOKEN }),
        inspect: async (exp) =>
          [...exp.values()].map((p) => {
            const t = zd.byExternalId(p.key)[0]!;
            return { value: p.value, summary: t.subject, text: t.comments[0]!.body, markup: t.comments[0]!.html_body };
          }),
      },
      rt: {
        env: () => ({ TICKET_SINK: 'rt', RT_URL: services().RT_URL!, RT_TOKEN: services().RT_TOKEN!, RT_QUEUE: services().RT_QUEUE!, RT_KEY_FIELD: services().RT_DEDUP_CF! }),
        inspect: async (exp) => {
          const rt = rtClient();
          const out = [];
          for (const p of exp.values()) {
            const found = await rt.get('/tickets', { params: { query: `'CF.{${services().RT_DEDUP_CF}}' = '${p.key}'`, fields: 'Subject' } });
            const t = (found.data.items as Array<{ id: number; Subject: string }>)[0]!;
            // the create's HTML body (the report mail may be attached beside it)
            const atts = await rt.get(`/ticket/${t.id}/attachments`, { params: { fields: 'Content,ContentType', per_page: 20 } });
            const html = (atts.data.items as Array<{ Content: string; ContentType: string }>).find((a) => a.ContentType === 'text/html')!.Content;
            const text = html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
            out.push({ value: p.value, summary: t.Subject, text, markup: html });
          }
          return out;
        },
      },
    };
    const summary: string[] = [];
    for (const [name, desk] of Object.entries(desks)) {
      const { expected, filters } = await runPipeline(name, desk);
      checkFilters(expected, filters);
      checkDesk(name, expected, await desk.inspect(expected));
      summary.push(`${name}: ${expected.size} tickets show the values literally, ${filters.length} Graph filters all equality tests on the one whole value`);
    }
    // failing paths: a desk that refuses our token (401) and an IMAP login with the wrong password
    await runPipeline('zendesk-401', { env: () => ({ TICKET_SINK: 'zendesk', ZENDESK_URL: zd.url, ZENDESK_EMAIL: 'agent@example.com', ZENDESK_TOKEN: `wrong-${SECRETS.ZENDESK_TOKEN}` }), inspect: async () => [] }, { expectFailure: true });
    console.log(`[prove:security] injection: ${summary.join('; ')}`);
  }, 600_000);

  it('other commands at debug level, good and failing paths', async () => {
    const s = services();
    const dir = tempDir('sec-cmds');
    const env = { ...baseEnv(dir), TICKET_SINK: 'rt', RT_URL: s.RT_URL!, RT_TOKEN: s.RT_TOKEN!, GRAPH_TENANT_ID: TENANT_ID, GRAPH_CLIENT_ID: APP.clientId, GRAPH_CLIENT_SECRET: APP.secret, GRAPH_BASE_URL: fake.url, GRAPH_AUTHORITY_HOST: fake.url, GRAPH_POLL_MINUTES: '0' };
    const imap = { IMAP_HOST: s.IMAP_HOST!, IMAP_PORT: s.IMAP_TLS_PORT!, IMAP_SECURE: 'true', IMAP_TLS_CA: s.IMAP_TLS_CA!, IMAP_USER: s.IMAP_USER!, IMAP_MAILBOX: 'INBOX' };
    const file = join(dir, 'report.eml');
    writeFileSync(file, injectionReport('Prove Sec Replay'));
    for (const args of [['replay', file], ['status'], ['failed', 'list'], ['parse', file]]) {
      const r = await runCli(args, env, { timeoutMs: 120_000, extraNodeEnv: { NODE_EXTRA_CA_CERTS: tls.caPath } });
      logs.push({ what: args.join(' '), output: r.output });
    }
    // the listener with the right and with a wrong IMAP password, and the admin dashboard
    const adminPort = await freePort();
    const start = spawnCli(['start', '--concurrency', '1'], { ...env, ...imap, IMAP_PASSWORD: s.IMAP_PASSWORD!, ADMIN_PORT: String(adminPort) }, { extraNodeEnv: { NODE_EXTRA_CA_CERTS: tls.caPath } });
    cleanup.push(() => start.kill());
    await start.waitFor('syncdesk started', 60_000);
    const url = `http://127.0.0.1:${adminPort}/admin/queues`;
    const get = (path: string, auth?: { username: string; password: string }) => axios.get(`${url}${path}`, { auth, validateStatus: () => true, maxRedirects: 0 });
    const anonymous = await get('');
    const wrong = await get('', { username: 'admin', password: `${SECRETS.ADMIN_PASSWORD}x` });
    const wrongUser = await get('', { username: 'root', password: SECRETS.ADMIN_PASSWORD });
    const api = await get('/api/queues');
    const right = await get('', { username: 'admin', password: SECRETS.ADMIN_PASSWORD });
    expect([anonymous.status, wrong.status, wrongUser.status, api.status]).toEqual([401, 401, 401, 401]);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
    expect(right.status).toBe(200);
    expect(String(anonymous.data)).not.toContain('syncdesk</title>');
    await start.kill('SIGTERM');
    logs.push({ what: 'start (imap, admin)', output: start.output() });

    const badImapPassword = `imap-${hex()}`;
    const listen = spawnCli(['listen'], { ...env, ...imap, IMAP_PASSWORD: badImapPassword });
    cleanup.push(() => listen.kill());
    await listen.waitFor(/reconnecting|authentication|AUTHENTICATIONFAILED|failed/i, 60_000);
    await sleep(500);
    await listen.kill('SIGTERM');
    logs.push({ what: 'listen (wrong IMAP password)', output: listen.output() });

    // every secret, and the Basic/Bearer forms they travel in, in no output at all
    const secrets: Record<string, string> = { ...SECRETS, RT_TOKEN: s.RT_TOKEN!, IMAP_PASSWORD: s.IMAP_PASSWORD!, IMAP_PASSWORD_WRONG: badImapPassword, ZENDESK_TOKEN_WRONG: `wrong-${SECRETS.ZENDESK_TOKEN}` };
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    const forms: Record<string, string> = {
      ...secrets,
      'servicenow basic': b64(`syncdesk:${SECRETS.SERVICENOW_PASSWORD}`),
      'jira basic': b64(`bot@example.com:${SECRETS.JIRA_TOKEN}`),
      'zendesk basic': b64(`agent@example.com/token:${SECRETS.ZENDESK_TOKEN}`),
      'admin basic': b64(`admin:${SECRETS.ADMIN_PASSWORD}`),
    };
    const leaks: string[] = [];
    // and every JSON line names each key once (a logger's binding and the same key in the entry wrote it twice)
    const repeated: string[] = [];
    let lines = 0;
    for (const { what, output } of logs) {
      for (const line of output.split('\n')) {
        lines++;
        for (const [name, value] of Object.entries(forms)) if (value && line.includes(value)) leaks.push(`${what}: ${name} in ${line.slice(0, 300)}`);
        const twice = line.startsWith('{') ? repeatedTopLevelKeys(line) : [];
        if (twice.length) repeated.push(`${what}: ${twice.join(', ')} twice in ${line.slice(0, 200)}`);
      }
    }
    expect(logs.length).toBeGreaterThanOrEqual(10);
    const all = logs.map((l) => l.output).join('\n');
    expect(all).toContain('"level":20'); // debug lines were written
    expect(all).toMatch(/"level":(40|50)/); // and the failing paths logged theirs
    expect(leaks).toEqual([]);
    expect(repeated.slice(0, 10)).toEqual([]);
    console.log(`[prove:security] secrets: ${Object.keys(forms).length} secret values/forms, ${logs.length} command runs, ${lines} log lines at debug: 0 leaks; dashboard: anonymous/wrong password/wrong user/API → 401, right password → 200`);
  }, 600_000);
});
