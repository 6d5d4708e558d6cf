import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../helpers/services.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';

/**
 * An upgrade across a parser fix that reads a tenant's name otherwise (blind36 U2): before
 * 37aa500 "for tenant Contoso Ltd. UK." was read "Contoso Ltd", and the tickets of that
 * customer are kept under that key. The day-one mail below is the name as the old parser read
 * it (its stop after "Ltd."); the day-two mail is the same report a day later as Microsoft
 * writes it. The report layout is blind36's old one-field-per-row DirSync table.
 */

let redis: Redis;
beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

function oldLayoutMail(day: number, tenantSentence: string): string {
  const date = `${['Tuesday', 'Wednesday'][day - 1]}, 0${day} December 2026 06:00:00 GMT`;
  const row = (identity: string, type: string, anchor: string, value: string) =>
    `<table border="0" cellpadding="3"><tr><td>Identity</td><td>${identity}</td></tr><tr><td>Object type</td><td>${type}</td></tr><tr><td>Source anchor</td><td>${anchor}</td></tr><tr><td>Error description</td><td>Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [${value};]. Correct or remove the duplicate values in your local directory. Please refer to https://support.microsoft.com/kb/2647098 for more information on identifying objects with duplicate attribute values.</td></tr></table><hr />`;
  return [
    'From: MSOnlineServicesTeam@MicrosoftOnline.com',
    'To: admin@contosouk.com',
    `Subject: Directory Synchronization Error Report: ${date}`,
    `Date: ${['Tue', 'Wed'][day - 1]}, 0${day} Dec 2026 06:04:00 +0000`,
    `Message-ID: <dirsync-uk-2026120${day}-${uid()}@microsoftonline.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset="utf-8"',
    '',
    `<html><body><p>Directory Synchronization Error Report</p><p>The Directory Synchronization batch run was completed on ${date} ${tenantSentence}</p><p>The following errors occurred during synchronization:</p>`,
    row('Chloe Lefevre', 'Contact', 'Y2hsb2VMZWZldnJlMDAwMQ==', 'ProxyAddresses smtp:chloe.lefevre@contosouk.com'),
    row('kim.akers@contosouk.com', 'User', 'a2ltQWtlcnNGYWJyaWthbQ==', 'SignInName kim.akers@contosouk.com'),
    '<p>Thank you,<br />The Azure Active Directory Team</p></body></html>',
  ].join('\r\n');
}

describe('a tenant name an older parser cut short (blind36 U2)', () => {
  it("keeps the customer's tickets when the name is read in full: no second ticket per problem", async () => {
    const [dir, prefix] = [tempDir('tenant-key'), `u${uid()}`];
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets') };
    const [day1, day2] = [join(dir, 'day1.eml'), join(dir, 'day2.eml')];
    writeFileSync(day1, oldLayoutMail(1, 'for tenant Contoso Ltd.'));
    writeFileSync(day2, oldLayoutMail(2, 'for tenant Contoso Ltd. UK.'));
    const first = await runCli(['replay', day1], env);
    expect(first.output).toContain('(tenant contoso ltd, covers');
    expect(first.output).toMatch(/^reports: 1; .*tickets: create 2$/m);
    const second = await runCli(['replay', day2], env);
    expect(second.output).toContain('(tenant contoso ltd. uk, covers');
    expect(second.output).toMatch(/^reports: 1; .*tickets: unchanged 2$/m);
    // the problems are counted once, under the name of now (blind55 U2: the old name's states counted too, for good)
    const status = JSON.parse((await runCli(['status', '--json'], env)).output) as { openProblems: { total: number; byTenant: Record<string, unknown> } };
    expect(status.openProblems).toMatchObject({ total: 2, byTenant: { 'contoso ltd. uk': { DuplicateAttribute: 2 } } });
    expect(Object.keys(status.openProblems.byTenant)).toEqual(['contoso ltd. uk']);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 120_000);
});
