import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/status.ts';
import { services } from '../helpers/services.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';

/**
 * A tenants file keys its tenants by id, so `status` listed an MSP's open problems under
 * GUIDs (blind34 M9): each key the file names now shows its name beside it.
 */
describe('status names the tenants of a tenants file', () => {
  it('shows the name beside the id, in text and in JSON; tickets are titled by it (blind47 J4)', async () => {
    const dir = tempDir('status-names');
    const tenants = join(dir, 'tenants.yaml');
    const id = '0e2e0000-0000-4000-8000-0000000000f1';
    // no sign-in (consent pending): the file names the tenant, nothing is looked up
    writeFileSync(tenants, `tenants:\n  - name: Fabrikam (customer 7)\n    tenantId: ${id}\n    domains: [fabrikam.com, fabrikam.onmicrosoft.com]\n`);
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: `sn${uid()}`, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), GRAPH_TENANTS_FILE: tenants, LOG_LEVEL: 'error' };
    const replay = await runCli(['replay', 'examples/02-fabrikam-proxyaddresses-signinname.eml', 'examples/05-contosopharma-entra-layout.eml'], env);
    expect(replay.code, replay.output).toBe(0);

    const text = await runCli(['status'], env);
    expect(text.output).toMatch(new RegExp(`^  Fabrikam \\(customer 7\\) \\(${id}\\): DuplicateAttribute \\d+`, 'm'));
    // a tenant the file lacks is said to be one (blind58 M4)
    expect(text.output).toMatch(/^  \S*contosopharma\S* \(in no entry of the tenants file: no Graph lookups\): /m);
    // what an agent changed in the desk since is not known before the next report: said (blind53 A7)
    expect(text.output).toMatch(/^Open problems: \d+ \(as the last reports left them: an agent's changes in the desk count from the next report\)$/m);
    const json = JSON.parse((await runCli(['status', '--json'], env)).output.trim().split('\n').at(-1)!) as StatusReport;
    expect(Object.keys(json.openProblems.byTenant)).toEqual([id, json.openProblems.unknown![0]]);
    expect(json.openProblems.unknown).toEqual([expect.stringContaining('contosopharma')]);
    expect(json.openProblems.names).toEqual({ [id]: 'Fabrikam (customer 7)' });
    // the report calls itself "Fabrikam, Inc.": the MSP's name titles its tickets, the report's stays in the body
    const tickets = readdirSync(join(dir, 'tickets')).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(dir, 'tickets', f), 'utf8')).filter((t) => !/contosopharma/i.test(t));
    expect(tickets.length).toBeGreaterThan(0);
    for (const t of tickets) {
      expect(t).toMatch(/^# .* — tenant Fabrikam \(customer 7\)$/m);
      expect(t).toContain('Fabrikam (customer 7) / fabrikam.onmicrosoft.com (the report names it "Fabrikam, Inc.")');
    }
  }, 120_000);

  it("counts a tenant's Graph poll and digest tickets as the tenant's, and passes over what is no state", async () => {
    const prefix = `sg${uid()}`;
    const redis = new Redis(services().REDIS_URL!);
    try {
      const state = (key: string, stream: string) => JSON.stringify({ key, stream, status: 'open', ticketId: key, summary: '[Duplicate UserPrincipalName] x', reports: [] });
      await redis.set(`${prefix}:ticket:key:a`, state('a', 'contoso.com'));
      await redis.set(`${prefix}:ticket:key:b`, state('b', 'contoso.com|graph'));
      await redis.set(`${prefix}:ticket:key:c`, state('c', 'digest:contoso.com'));
      await redis.set(`${prefix}:ticket:key:junk`, 'not json');
      const { output } = await runCli(['status', '--json'], { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, LOG_LEVEL: 'error' });
      const json = JSON.parse(output.trim().split('\n').at(-1)!) as StatusReport;
      expect(json.openProblems).toMatchObject({ total: 3, byTenant: { 'contoso.com': { DuplicateAttribute: 3 } } });
    } finally {
      await redis.quit();
    }
  }, 60_000);
});
