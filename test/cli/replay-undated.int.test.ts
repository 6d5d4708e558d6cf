import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncdesk } from '../e2e/helpers.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { uid } from '../prove/helpers.ts';
import { replayEnv } from './replay-env.ts';

/**
 * A replayed report its mail dates nowhere (no run time, no Date, no Received header) is the
 * oldest of its tenant's, not the newest: dated by the replay's clock, it resolved the tickets
 * of problems a newer report still listed (blind52 T1).
 */

let dir: string;
let env: Record<string, string>;
const id = uid();

let drop: () => Promise<void>;
let redis: Redis;

beforeAll(() => {
  ({ dir, env, drop, redis } = replayEnv(`u${id}`));
});
afterAll(() => drop());

function mails(domain: string): { dated: string; undated: string } {
  const row = (name: string): ReportRow => ({ object: `${name}@${domain}`, duplicates: [['UserPrincipalName', `${name}@${domain}`]], onPremisesObjectId: `${name}-anchor` });
  const tenant = { tenant: domain, domain };
  const dated = reportMail({ ...tenant, coversAt: new Date('2026-03-10T06:30:00Z'), rows: [row('alex')], messageId: `<dated-${domain}@microsoftonline.com>` });
  // the same layout with nothing that dates it: the subject's run time and the Date header gone
  const undated = reportMail({ ...tenant, coversAt: new Date('2026-03-02T06:30:00Z'), rows: [row('patti')], messageId: `<undated-${domain}@microsoftonline.com>` })
    .toString('utf8')
    .replace(/^Subject: .*$/m, 'Subject: Directory Synchronization Error Report')
    .replace(/^Date: .*\r?\n/m, '');
  const write = (name: string, raw: Buffer | string): string => {
    const path = join(dir, `${domain}-${name}.eml`);
    writeFileSync(path, raw);
    return path;
  };
  return { dated: write('dated', dated), undated: write('undated', undated) };
}

const ticketsOf = (domain: string) => new Map(readTickets(env.TICKET_DIR!).filter((t) => t.summary.includes(domain)).map((t) => [t.summary.split(' ')[2]!.split('@')[0]!, t]));

describe('replay of a report dated nowhere', () => {
  it('given with a newer report in one replay, it is applied first: the newer report resolves its problem, not the other way round', async () => {
    const domain = `one${id}.example`;
    const { dated, undated } = mails(domain);
    const r = await syncdesk(['replay', '--json', '--wait', dated, undated], env);
    expect(r.code, r.stderr).toBe(0);
    const covers = (JSON.parse(r.stdout) as { mails: Array<{ reports: Array<{ coversAt: string }> }> }).mails.map((m) => m.reports[0]!.coversAt);
    expect(covers).toEqual(['1970-01-01T00:00:00.000Z', '2026-03-10T06:30:00.000Z']);
    const tickets = ticketsOf(domain);
    expect(tickets.get('alex')?.status).toBe('open');
    expect(tickets.get('patti')?.status).toBe('resolved');
    // its workers, stopped cleanly, are no host doctor compares settings with (blind61 D8)
    expect(await redis.hlen(`u${id}:q:hosts`)).toBe(0);
  }, 120_000);

  it('replayed after a newer report, it is an older one: its problem gets a ticket that says so, and the newer report\'s stays open', async () => {
    const domain = `two${id}.example`;
    const { dated, undated } = mails(domain);
    expect((await syncdesk(['replay', '--wait', dated], env)).code).toBe(0);
    expect((await syncdesk(['replay', '--wait', undated], env)).code).toBe(0);
    const tickets = ticketsOf(domain);
    expect(tickets.get('alex')?.status).toBe('open');
    expect(tickets.get('patti')?.status).toBe('open');
    expect(JSON.stringify(tickets.get('patti'))).toContain('older than the newest one applied for this tenant (it covers an unknown time (its mail is dated nowhere); the newest covers 2026-03-10T06:30:00.000Z)');
  }, 120_000);
});
