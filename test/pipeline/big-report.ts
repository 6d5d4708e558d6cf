import { randomUUID } from 'node:crypto';

/**
 * A DirSync-era text report with `n` distinct duplicate-UPN errors (one row each), so a
 * test can have a report large enough to be split into several resolve jobs and to keep
 * the ticket stage busy for a while.
 */
export function bigReport(n: number, options: { messageId?: string; tenant?: string } = {}): Buffer {
  const tenant = options.tenant ?? 'Bigcorp Ltd.';
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const upn = `user${String(i).padStart(5, '0')}@bigcorp.com`;
    rows.push(
      `${upn} | Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName ${upn};]. Correct or remove the duplicate values in your local directory. |`,
    );
  }
  const text = [
    'From: MSOnlineServicesTeam@MicrosoftOnline.com',
    'To: Bigcorp Admin <admin@bigcorp.com>',
    'Subject: Directory Synchronization Error Report',
    'Date: Mon, 30 Sep 2013 14:09:12 +0000',
    `Message-ID: ${options.messageId ?? `<big-${randomUUID()}@microsoftonline.com>`}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    'Hello Bigcorp Admin,',
    '',
    'The Directory Synchronization batch run was completed on Monday, 30 September 2013 14:05:41 GMT for tenant ' + tenant + '.',
    'The following errors occurred during synchronization:',
    '',
    'Identity | Error Description |',
    ...rows,
    '',
    'Tracking ID: 5d0f3a7e-2b1c-4e8a-9f6d-0c7b8a9e1f23',
    '',
    'Thank you,',
    'Microsoft Online Services Team',
    '',
  ].join('\r\n');
  return Buffer.from(text, 'utf8');
}
