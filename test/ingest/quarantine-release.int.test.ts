import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../src/ingest/ledger.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';
import { fileDeskEnv } from '../cli/replay-env.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { services } from '../helpers/services.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';

/**
 * `syncdesk quarantine release <mailId> | --all`, as an admin runs it against the real Redis:
 * a mail held back by sender trust is ingested again with trust skipped for it alone, gets
 * its tickets, and the release (who, when) is in its ledger entry and the quarantine's history.
 */

let redis: Redis;
beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

interface Row {
  mailId: string;
  status: 'held' | 'released';
  reason: string;
  tenants?: string[];
  released?: { by: string; at: string };
}

/** A private prefix, mail store and file desk, under a trust policy that holds the unsigned samples back. */
function strictTrust(name: string, extra: Record<string, string> = {}) {
  const dir = tempDir(name);
  const prefix = `q${uid()}`;
  const env = {
    ...fileDeskEnv(dir, prefix),
    TRUST_POLICY: 'strict', // the samples are not signed by Microsoft: held back
    ...extra,
  };
  return { dir, prefix, env };
}

describe('quarantine release', () => {
  it('releases one held mail by its short id, then all the others; each gets its tickets; unknown ids exit 1', async () => {
    const { dir, prefix, env } = strictTrust('release');
    const held = await runCli(['replay', '--verify-senders', 'examples/02-fabrikam-proxyaddresses-signinname.eml', 'examples/03-fabrikam-quota-exceeded.eml'], env);
    expect(held.output).toContain('quarantined 2');
    const list = async () => (await runCli(['quarantine', 'list', '--json'], env)).output.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);
    const before = await list();
    expect(before.map((r) => r.status)).toEqual(['held', 'held']);
    // whose reports are held: what an MSP needs to know before releasing one (blind34 M9)
    expect(before.map((r) => r.tenants)).toEqual([['Fabrikam, Inc.'], ['Fabrikam, Inc.']]);
    expect(readTickets(join(dir, 'tickets'))).toEqual([]);

    const unknown = await runCli(['quarantine', 'release', 'deadbeef'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('no quarantined mail with id deadbeef; see `syncdesk quarantine list`');

    const first = before[0]!;
    const one = await runCli(['quarantine', 'release', first.mailId.slice(0, 12), '--by', 'alice'], env);
    expect(one.code).toBe(0);
    expect(one.output).toContain(`${first.mailId}: released by alice: queued`);
    const afterOne = readTickets(join(dir, 'tickets')).length;
    expect(afterOne).toBeGreaterThan(0);
    const entry = await createLedger(redis, prefix).get(first.mailId);
    expect(entry).toMatchObject({ status: 'queued' });
    expect(entry!.reason).toMatch(/^released from quarantine by alice on \d{4}-\d\d-\d\dT[\d:.]+Z \(held because: /);

    const history = await list();
    expect(history.filter((r) => r.status === 'held').map((r) => r.mailId)).toEqual([before[1]!.mailId]);
    expect(history.find((r) => r.status === 'released')).toMatchObject({ mailId: first.mailId, released: { by: 'alice' }, reason: first.reason });

    // released already: not held any more
    expect((await runCli(['quarantine', 'release', first.mailId], env)).code).toBe(1);

    const all = await runCli(['quarantine', 'release', '--all'], env);
    expect(all.code).toBe(0);
    expect(all.output).toContain(`${before[1]!.mailId}: released by `);
    expect(readTickets(join(dir, 'tickets')).length).toBeGreaterThan(afterOne);
    const text = await runCli(['quarantine', 'list'], env);
    expect(text.output).toContain('0 held, 2 released');
    expect(text.output).toMatch(/released by alice on /);

    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 180_000);

  it('drops a held mail an admin rejects: gone from the quarantine and the mail store, no ticket, and none if it comes back', async () => {
    const { dir, prefix, env } = strictTrust('drop');
    const held = await runCli(['replay', '--verify-senders', 'examples/02-fabrikam-proxyaddresses-signinname.eml', 'examples/03-fabrikam-quota-exceeded.eml'], env);
    expect(held.output).toContain('quarantined 2');
    const list = async () => (await runCli(['quarantine', 'list', '--json'], env)).output.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);
    const [first, second] = await list();
    const stored = () => readdirSync(join(dir, 'mail')).filter((f) => f.endsWith('.eml')).map((f) => f.slice(0, -4)).sort();
    expect(stored()).toEqual([first!.mailId, second!.mailId].sort());

    expect((await runCli(['quarantine', 'drop', 'deadbeef'], env)).code).toBe(1);
    const one = await runCli(['quarantine', 'drop', first!.mailId.slice(0, 12), '--by', 'alice'], env);
    expect(one.code).toBe(0);
    expect(one.output).toContain(`${first!.mailId}: dropped, and removed from the mail store`);
    expect((await list()).map((r) => [r.mailId, r.status])).toEqual([[second!.mailId, 'held']]);
    expect(stored()).toEqual([second!.mailId]);
    // no history of it: a rejected mail is not kept, not even its sender; its ledger entry says who dropped it
    expect(await redis.lrange(`${prefix}:ingest:quarantine:released`, 0, -1)).toEqual([]);
    const entry = await createLedger(redis, prefix).get(first!.mailId);
    expect(entry).toMatchObject({ status: 'quarantined', dropped: { by: 'alice' } });
    expect(entry!.reason).toMatch(/^dropped from quarantine by alice on /);
    expect(JSON.stringify(entry)).not.toContain(first!.reason);
    expect(readTickets(join(dir, 'tickets'))).toEqual([]);

    // the same mail again: its ledger entry knows it, no ticket
    const again = await runCli(['replay', '--verify-senders', 'examples/02-fabrikam-proxyaddresses-signinname.eml'], env);
    expect(again.code).toBe(0);
    expect(again.output).toContain('duplicate (already ingested on ');
    expect(readTickets(join(dir, 'tickets'))).toEqual([]);

    const all = await runCli(['quarantine', 'drop', '--all'], env);
    expect(all.code).toBe(0);
    expect(all.output).toContain(`${second!.mailId}: dropped, and removed from the mail store`);
    expect((await runCli(['quarantine', 'list'], env)).output).toContain('no quarantined mails');

    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 180_000);

  it("releases months of one tenant's held reports as their runs happened: the older first, so the newer one resolves what it no longer lists", async () => {
    const { dir, prefix, env } = strictTrust('release-order', { TICKET_RESOLVE_AFTER_MISSING: '1' });
    const domain = `release${uid()}.onmicrosoft.com`;
    const row = (user: string): ReportRow => ({ object: `${user}@${domain}`, duplicates: [['UserPrincipalName', `${user}@${domain}`]], onPremisesObjectId: Buffer.from(user).toString('base64') });
    const day = (d: number) => new Date(Date.UTC(2026, 9, d, 6, 0, 0));
    const older = join(dir, 'older.eml');
    const newer = join(dir, 'newer.eml');
    writeFileSync(older, reportMail({ tenant: 'Release Order', domain, coversAt: day(1), rows: [row('anna'), row('bert')] }));
    writeFileSync(newer, reportMail({ tenant: 'Release Order', domain, coversAt: day(20), rows: [row('anna')] }));
    // held in run order, so the quarantine (newest held first) lists the newer report first
    expect((await runCli(['replay', '--verify-senders', older, newer], env)).output).toContain('quarantined 2');

    const all = await runCli(['quarantine', 'release', '--all'], env);
    expect(all.code).toBe(0);
    const state = readTickets(join(dir, 'tickets'))
      .map((t) => [t.summary.match(/(anna|bert)@/)?.[1], t.status])
      .sort();
    // released newer first, the older report was old: bert's ticket stayed open
    expect(state).toEqual([
      ['anna', 'open'],
      ['bert', 'resolved'],
    ]);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 180_000);
});
