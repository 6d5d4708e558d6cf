import { objectLabel, type ParsedReport } from '../../schemas/report.schema.ts';
import { readMailInputs, type MailInputError } from '../ingest/mail-files.ts';
import { passedOverLine } from '../app/cli-support.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { terminalText } from '../terminal-text.ts';

/** What `syncdesk parse` does (loaded when it runs; see parse-command.ts). */
export async function runParse(
  inputs: string[],
  options: { json?: boolean; maxBytes?: number },
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const reports: Array<ParsedReport & { source: string }> = [];
  let rejected = 0;
  let count = 0;
  // a path that cannot be read is said and passed over: the rest is still parsed
  const onUnreadable = (e: MailInputError): void => {
    count++;
    rejected++;
    err.write(`${terminalText(`syncdesk parse: ${e.message}`)}\n`);
  };
  const passedOver: string[] = [];
  for await (const input of readMailInputs(inputs, { onUnreadable, onPassedOver: (path) => passedOver.push(path) })) {
    count++;
    const outcome = await parseMail(input.raw, { maxBytes: options.maxBytes });
    if (!outcome.ok) {
      rejected++;
      const why = `${input.label}: rejected (${outcome.rejection.reason}): ${outcome.rejection.detail}`;
      err.write(`${terminalText(why)}\n`);
      continue;
    }
    // each report says which input it came from (a folder or an mbox gives many)
    reports.push(...outcome.reports.map((r) => ({ source: input.label, ...r })));
    if (!options.json) out.write(renderTable(input.label, outcome.reports));
  }
  const skipped = passedOverLine(passedOver);
  if (skipped) err.write(`${terminalText(`syncdesk parse: ${skipped}`)}\n`);
  if (options.json) out.write(`${JSON.stringify(reports, null, 2)}\n`);
  else out.write(`\n${count} mail(s): ${count - rejected} parsed, ${rejected} rejected; ${reports.reduce((n, r) => n + r.errors.length, 0)} error(s)\n`);
  return rejected ? 1 : 0;
}

/** Mail text is escaped cell by cell, before the columns are measured (see terminalText). */
function renderTable(label: string, reports: ParsedReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const tenant = [r.tenant.name, r.tenant.domain].filter(Boolean).join(' / ') || 'tenant not stated';
    lines.push('', terminalText(`${label}: "${r.subject}" from ${r.from ?? '?'}${r.forwardedBy ? ` (forwarded by ${r.forwardedBy})` : ''}`));
    lines.push(terminalText(`  ${tenant}; covers ${r.reportedAt ?? r.sentAt ?? 'unknown time'}; ${r.errors.length} error(s)${r.unparsed.length ? `, ${r.unparsed.length} unparsed fragment(s)` : ''}`));
    const rows = r.errors.map((e) => [
      e.category,
      objectLabel(e),
      e.errorCode ?? '',
      e.attributes.map((a) => (a.value ? `${a.name} ${a.value}` : a.name)).join('; ') || '-',
    ].map(terminalText));
    lines.push(...table(['CATEGORY', 'OBJECT', 'CODE', 'ATTRIBUTES'], rows).map((l) => `  ${l}`));
    for (const u of r.unparsed) lines.push(`  unparsed: ${terminalText(u.slice(0, 160))}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Columns padded to their widest cell, capped so one long cell does not push the rest off
 * screen; the last column is whole (nothing follows it to push), as an admin reads the values
 * there (a second address of a list was cut off).
 */
export function table(head: string[], rows: string[][]): string[] {
  const cap = 60;
  const clip = (s: string, i: number, r: string[]): string => (i < r.length - 1 && s.length > cap ? `${s.slice(0, cap - 1)}…` : s);
  const all = [head, ...rows.map((r) => r.map(clip))];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}
