import type { MailDocument } from './mail-tree.ts';

/**
 * Whether a mail looks cut off (an interrupted download, a broken export, an mbox cut
 * mid-message): its multipart body never reaches its closing boundary, or its HTML leaves
 * a table open. A look at the mail's end, not a validation: it tells the admin that the
 * report may hold more errors than were read.
 */
export function cutOffNote(doc: MailDocument): string | null {
  const boundary = BOUNDARY_RE.exec(doc.headers.get('content-type')?.[0] ?? '');
  const closing = boundary && `--${boundary[1] ?? boundary[2]}--`;
  if (closing && doc.raw && doc.raw.lastIndexOf(closing) < 0) return `the mail looks cut off (its multipart body has no closing boundary "${closing}")`;
  if (doc.html && tableLeftOpen(doc.html)) return 'the mail looks cut off (its HTML leaves a table open)';
  return null;
}

const BOUNDARY_RE = /^\s*multipart\/.*?\bboundary\s*=\s*(?:"([^"]+)"|([^\s;"]+))/is;
/** How much of the HTML's end is looked at first: a report's table closes a footer's length before it. */
const TAIL_CHARS = 16_384;

/** Whether the HTML's last table tag opens one; its end is lowercased and searched, the whole only when the end has no table tag. */
function tableLeftOpen(html: string): boolean {
  const tail = html.slice(-TAIL_CHARS).toLowerCase();
  const [open, close] = [tail.lastIndexOf('<table'), tail.lastIndexOf('</table')];
  if (open >= 0 || close >= 0 || html.length <= TAIL_CHARS) return open > close;
  const lower = html.toLowerCase();
  return lower.lastIndexOf('<table') > lower.lastIndexOf('</table');
}
