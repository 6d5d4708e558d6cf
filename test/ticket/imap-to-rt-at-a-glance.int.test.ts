import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosInstance } from 'axios';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailIdOf } from '../../src/ingest/mail-store.ts';
import { attachmentName } from '../../src/ticket/sinks/mail-attachment.ts';
import { baseEnv, daemon, drained, imapAdmin, rtClient, rtEnv, rtTickets, unique, until, type Daemon } from '../e2e/helpers.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';

/**
 * Tickets an agent can act on at a glance (#12), as a user runs syncdesk: a report mail in a
 * real Dovecot mailbox, `syncdesk start` (TICKET_SINK=rt, no Graph) as a child process, tickets
 * in a real RT 5. The original mail is attached to each ticket, the tenant-wide quota stop is
 * High, the duplicate Medium, the holder section says "not looked up" (no Graph), and the
 * on-premises object is opened from its source anchor.
 */

const id = unique();
const tenant = `Glance Tenant ${id}`;
const domain = `glance${id}.onmicrosoft.com`;
const mailbox = `glance-rt-${id}`;
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-glance-rt-'));
const env = { ...baseEnv(dir, { IMAP_MAILBOX: mailbox }), ...rtEnv() };
const john: ReportRow = { object: `john@${id}.example`, duplicates: [['UserPrincipalName', `john@${id}.example`]], onPremisesObjectId: '1wfM9xV8fUSHbcAbDlqeOA==' };
const mail = reportMail({ tenant, domain, coversAt: new Date(Date.UTC(2026, 10, 20, 6)), quota: true, rows: [john] });

let imap: ImapFlow;
let rt: AxiosInstance;
let start: Daemon | undefined;

beforeAll(async () => {
  imap = await imapAdmin();
  await imap.mailboxCreate(mailbox);
  rt = rtClient();
});

afterAll(async () => {
  await start?.stop();
  await imap?.logout().catch(() => undefined);
});

describe('a report mail becomes tickets an agent can act on at a glance (syncdesk start → real RT)', () => {
  it('attaches the original mail, ranks the tenant-wide stop High, and gives the steps', async () => {
    start = await daemon(['start'], env, 'syncdesk started');
    await imap.append(mailbox, mail);
    await until('2 tickets in RT', async () => (await rtTickets(rt, tenant)).length >= 2, 60_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}\n${start!.log().slice(-6000)}`);
    });
    await drained(env.REDIS_PREFIX!);
    const tickets = await rtTickets(rt, tenant);
    expect(tickets).toHaveLength(2);
    const quota = tickets.find((t) => t.subject.startsWith('[Quota exceeded]'))!;
    const dup = tickets.find((t) => t.subject.startsWith('[Duplicate UserPrincipalName]'))!;

    const name = attachmentName(mailIdOf(mail));
    for (const t of [quota, dup]) {
      const atts = await rt.get(`/ticket/${t.id}/attachments`, { params: { fields: 'Filename,ContentType,Content', per_page: 100 } });
      const file = (atts.data.items as Array<{ Filename?: string; ContentType?: string; Content?: string }>).find((a) => a.Filename === name);
      expect(file?.ContentType).toBe('message/rfc822');
      expect(file?.Content).toContain('Directory Synchronization Error Report');
    }
    expect(Number((await rt.get(`/ticket/${quota.id}`)).data.Priority)).toBe(100);
    expect(Number((await rt.get(`/ticket/${dup.id}`)).data.Priority)).toBe(50);

    // the tenant by its name, no holder section on the tenant-level error, "not looked up" without Graph
    expect(quota.subject).toContain(`tenant ${tenant}`);
    expect(quota.body).not.toContain('Who holds the value');
    expect(dup.body).toContain('Not looked up');
    expect(dup.body).not.toContain('No object found');
    // the on-premises object from its anchor, and one search per value over every recipient type
    expect(dup.body).toContain('Open the on-premises object from its source anchor 1wfM9xV8fUSHbcAbDlqeOA== (GUID f7cc07d7-7c15-447d-876d-c01b0e5a9e38)');
    expect(dup.body.match(/@\(Get-MgUser -Filter/g)).toHaveLength(1);
  });
});
