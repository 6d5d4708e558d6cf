import { parseLooseDate } from './dates.ts';

/**
 * Headers of a mail forwarded inline, as Outlook (in many languages), Gmail and Apple Mail
 * write them into the body. They give the original sender, date and subject of a report
 * that reached us as someone else's forward.
 */

export interface ForwardHeaders {
  from: string | null;
  sentAt: string | null;
  subject: string | null;
}

const FIELD: Record<string, keyof ForwardHeaders | 'to'> = {};
for (const w of ['from', 'von', 'de', 'da', 'van', 'från', 'fra', 'od']) FIELD[w] = 'from';
for (const w of ['date', 'sent', 'datum', 'gesendet', 'envoyé', "date d'envoi", 'enviado', 'enviado el', 'fecha', 'inviato', 'data', 'verzonden', 'skickat', 'sendt'])
  FIELD[w] = 'sentAt';
for (const w of ['subject', 'betreff', 'objet', 'asunto', 'oggetto', 'onderwerp', 'ämne', 'emne', 'temat']) FIELD[w] = 'subject';
for (const w of ['to', 'an', 'à', 'a', 'para', 'aan', 'till', 'til', 'do', 'cc']) FIELD[w] = 'to';

const LINE_RE = /^\*?([\p{L}' ]{1,16}?)\*?\s*:\s*\*?(.*?)\*?$/u;

/** Every forward header block in the lines, in order (nested forwards come later). */
export function findForwardHeaders(lines: string[]): ForwardHeaders[] {
  const blocks: ForwardHeaders[] = [];
  let current: Partial<Record<keyof ForwardHeaders | 'to', string>> = {};
  let seen = 0;
  let gap = 0;
  const close = (): void => {
    if (current.from && (current.subject !== undefined || current.sentAt)) {
      blocks.push({
        from: addressOf(current.from),
        sentAt: parseLooseDate(current.sentAt),
        subject: current.subject?.trim() || null,
      });
    }
    current = {};
    seen = 0;
  };
  for (const line of lines) {
    const m = LINE_RE.exec(line.trim());
    const field = m ? FIELD[m[1]!.trim().toLowerCase()] : undefined;
    if (m && field) {
      if (field === 'from' && current.from) close(); // a new block starts
      if (current[field] === undefined) current[field] = m[2]!;
      seen++;
      gap = 0;
    } else if (seen) {
      if (++gap > 2) close();
    }
  }
  close();
  return blocks;
}

/** `Name <a@b>` or `a@b [mailto:a@b]` or `a@b` → `a@b`. */
export function addressOf(text: string): string | null {
  const angle = /<\s*([^<>\s]+@[^<>\s]+)\s*>/.exec(text) ?? /\[mailto:([^\]\s]+)\]/i.exec(text);
  if (angle) return angle[1]!;
  const bare = /([^\s<>"'()[\]:;,]+@[^\s<>"'()[\]:;,]+\.[a-z]{2,})/i.exec(text);
  return bare ? bare[1]! : null;
}
