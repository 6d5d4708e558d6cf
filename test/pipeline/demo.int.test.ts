import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findEmbeddedRedis, isProcessAlive } from '../../src/redis/embedded-redis.ts';
import { reportMail } from '../e2e/report-mail.ts';
import { readTickets } from './helpers.ts';

const run = promisify(execFile);
const BIN = resolve('bin/syncdesk.js');

/** The environment a new user has: no REDIS_URL, no desk, nothing configured. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_OPTIONS']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

async function demo(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('node', [BIN, 'demo', ...args], { cwd, env: { ...bareEnv(), ...env }, timeout: 110_000 });
  return stdout;
}

describe('syncdesk demo', () => {
  it('runs the samples on the embedded Redis and file sink; a second run creates nothing', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'syncdesk-demo-'));
    const first = await demo(cwd);
    expect(first).toMatch(/Redis: +redis:\/\/127\.0\.0\.1:\d+ \(embedded/);
    const created = Number(/Tickets: +(\d+) created/.exec(first)?.[1]);
    // examples/: 5 report mails of 3 tenants (the snapshots join a tenant's name-only report to
    // its domain's), 17 errors, each its own problem: one ticket each
    expect(first).toMatch(/Reports: +5 parsed \(3 tenants\), 17 errors/);
    expect(created).toBe(17);
    expect(first).toMatch(/Errors: +.*DuplicateAttribute \d+/);
    expect(first).toContain(join(cwd, '.syncdesk/tickets'));
    const tickets = readTickets(join(cwd, '.syncdesk/tickets'));
    expect(tickets).toHaveLength(created);
    expect(new Set(tickets.map((t) => t.key)).size).toBe(created);
    // with no tenant and no network, the sample tenants' snapshots name who holds each value
    const summaries = tickets.map((t) => t.summary);
    expect(summaries).toContainEqual(expect.stringMatching(/john@contoso\.com — held by cloud-only user John Doe \(cloud\)/));
    expect(summaries).toContainEqual(expect.stringMatching(/bob@contoso\.com — held by synced user Bob Kelly/));
    expect(summaries).toContainEqual(expect.stringMatching(/finance@contoso\.com .*— held by deleted group/));
    const john = readFileSync(join(cwd, '.syncdesk/tickets', `${tickets.find((t) => t.summary.includes('john@contoso.com'))!.id}.md`), 'utf8');
    expect(john).toMatch(/directory snapshot of Contoso Ltd\. taken 2026-11-30T08:00:00\.000Z \(\d+ days? old/);
    expect(john).toContain("Update-MgUser -UserId '5f0c1a2b-0000-4000-8000-000000000001'");

    // the embedded Redis was ours: stopped at the end, its data kept on disk
    const { pid } = JSON.parse(readFileSync(join(cwd, '.syncdesk/redis/runtime.json'), 'utf8')) as { pid: number };
    expect(isProcessAlive(pid)).toBe(false);
    expect(await findEmbeddedRedis(join(cwd, '.syncdesk/redis'))).toBeNull();
    expect(existsSync(join(cwd, '.syncdesk/redis/data/appendonlydir'))).toBe(true);

    const second = await demo(cwd);
    expect(second).toMatch(/Tickets: +0 created/);
    expect(second).toMatch(/duplicate \d+/);
    expect(readTickets(join(cwd, '.syncdesk/tickets'))).toHaveLength(created);
  }, 240_000);

  it("puts a tenant's tickets where its tenants file entry routes them (desk:), through the whole pipeline", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'syncdesk-demo-routes-'));
    const tenants = join(cwd, 'tenants.yaml');
    writeFileSync(
      tenants,
      'tenants:\n  - { name: Contoso, tenantId: 00000000-0000-0000-0000-0000000000c0, domains: [contoso.com, contoso.onmicrosoft.com], desk: { rt: { queue: Contoso } } }\n' +
        '  - { name: Fabrikam, tenantId: 00000000-0000-0000-0000-0000000000fa, domains: [fabrikam.com, fabrikam.onmicrosoft.com] }\n',
    );
    await demo(cwd, ['--dir', resolve('examples')], { GRAPH_TENANTS_FILE: tenants });
    const tickets = readTickets(join(cwd, '.syncdesk/tickets')) as Array<{ summary: string; route?: unknown }>;
    const routed = tickets.filter((t) => t.route);
    expect(routed.length).toBeGreaterThan(0);
    // the examples name Contoso "Contoso Ltd." or by its domain alone
    const contoso = /— tenant Contoso(?: Ltd\.)?$/;
    for (const t of routed) expect(t).toMatchObject({ summary: expect.stringMatching(contoso), route: { rt: { queue: 'Contoso' } } });
    // Fabrikam's and Contoso Pharmaceuticals' tickets (not Contoso's) go where the desk's own settings say
    expect(tickets.filter((t) => !t.route).map((t) => t.summary)).toContainEqual(expect.stringMatching(/— tenant Fabrikam, Inc\.$/));
    expect(tickets.filter((t) => !t.route).every((t) => !contoso.test(t.summary))).toBe(true);
  }, 240_000);

  it('reads a folder in the order of its reports\' runs, as replay does: a newer report named first is still applied last (blind38 G6)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'syncdesk-demo-order-'));
    const mails = join(cwd, 'mails');
    mkdirSync(mails);
    const row = (name: string) => ({ object: `${name}@order.example`, duplicates: [['UserPrincipalName', `${name}@order.example`]] as Array<[string, string]>, onPremisesObjectId: `${name}AAAAAAAAAAAAAAAAAAAAA==` });
    const report = (day: number, names: string[]) => reportMail({ tenant: 'Order Ltd', domain: 'order.example', coversAt: new Date(Date.UTC(2026, 10, day, 6)), rows: names.map(row) });
    // named newest first, as an export by subject or arrival may name them
    writeFileSync(join(mails, '1-newer.eml'), report(21, ['ann']));
    writeFileSync(join(mails, '2-older.eml'), report(20, ['ann', 'bob']));
    const out = await demo(cwd, ['--dir', mails], { TICKET_RESOLVE_AFTER_MISSING: '1' });
    // in run order: the older report makes two tickets, the newer one resolves bob's; in file order
    // the older would come second, be old, and resolve nothing
    expect(out).toMatch(/Tickets: +2 created, 1 updated/);
    expect(out).toMatch(/resolve 1/);
  }, 240_000);
});
