import { randomUUID } from 'node:crypto';

/**
 * A "Directory Synchronization Error Report" mail in the Entra-era HTML table layout
 * (as in examples/01), for a tenant of the test's own, so tickets in the shared RT can be
 * told apart by tenant name.
 */

export interface ReportRow {
  /** The object as the report names it (Object column). */
  object: string;
  /** `[Attr value;Attr value;]` pairs of a duplicate-attribute error. */
  duplicates: Array<[string, string]>;
  onPremisesObjectId: string;
  /** The Error cell as is, instead of the duplicate-attribute sentence (a report that names no value). */
  message?: string;
}

export interface ReportMailSpec {
  tenant: string;
  domain: string;
  /** The sync run the report covers (subject date). */
  coversAt: Date;
  rows: ReportRow[];
  /** A tenant-level "Error 016" quota error before the table. */
  quota?: boolean;
  /** Leave out the sentences that name the tenant: only the To: line says whose report it is. */
  noTenantLine?: boolean;
  messageId?: string;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "Tuesday, 05 September 2017 06:00:00 GMT" */
export function reportDate(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const DUPLICATE_TEXT =
  'Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services';

export function reportMail(spec: ReportMailSpec): Buffer {
  const sent = new Date(spec.coversAt.getTime() + 4 * 60_000);
  const rows = spec.rows
    .map((r) => {
      const pairs = r.duplicates.map(([a, v]) => `${a} ${v};`).join('');
      const text = r.message ?? `${DUPLICATE_TEXT}: [${pairs}]. Correct or remove the duplicate values in your local directory. Please refer to https://support.microsoft.com/kb/2647098 for more information on identifying objects with duplicate attribute values.`;
      return `<tr><td>${escapeHtml(r.object)}</td><td>${escapeHtml(text)}</td><td>${escapeHtml(r.onPremisesObjectId)}</td></tr>`;
    })
    .join('\n');
  const quota = spec.quota
    ? '<p>Error 016: Synchronization has been stopped. This company has exceeded the number of objects that can be synchronized. Contact Microsoft Online Services Support.</p>\n'
    : '';
  const html = `<html>
<head><title>Directory Synchronization Error Report</title></head>
<body>
<p>Directory Synchronization Error Report</p>
${spec.noTenantLine ? '' : `<p>The following errors occurred during synchronization for tenant ${escapeHtml(spec.tenant)}.</p>
<p>This report was sent to the technical contact of ${escapeHtml(spec.domain)}. See <a href="https://aka.ms/duplicateattributeresiliency">steps on how to resolve this issue</a>.</p>
`}${quota}<table border="1">
<tr><th>Object</th><th>Error</th><th>On-premises object ID</th></tr>
${rows}
</table>
<p>Thank you,<br />The Azure Active Directory Team</p>
</body>
</html>
`;
  const headers = [
    'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
    `To: IT Admins <itadmins@${spec.domain}>`,
    `Subject: Directory Synchronization Error Report: ${reportDate(spec.coversAt)}`,
    `Date: ${sent.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${spec.messageId ?? `<aadsync-${randomUUID()}@microsoftonline.com>`}`,
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset="utf-8"',
    'Content-Transfer-Encoding: 8bit',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${html.replace(/\n/g, '\r\n')}`, 'utf8');
}
