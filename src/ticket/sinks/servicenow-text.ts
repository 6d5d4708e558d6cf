import type { ContentBlock } from '../../../schemas/ticket.schema.ts';
import { deskText, fitText } from './desk-kit.ts';

/**
 * ContentBlocks as ServiceNow plain text (description, work_notes, close_notes).
 * Plain text is shown as typed, except that a journal entry wrapped in `[code]…[/code]`
 * is rendered as HTML; values from a report must never switch that on.
 */

/** Field limits of an out-of-the-box incident. */
const SN_SHORT_DESCRIPTION_MAX = 160;
const SN_DESCRIPTION_MAX = 4000;
export const SN_JOURNAL_MAX = 16000;
/** `close_notes` is a 4,000-character string out of the box; the instance cuts longer values silently. */
export const SN_CLOSE_NOTES_MAX = 4000;
export const SN_CORRELATION_MAX = 100;

/** Breaks `[code]` / `[/code]` so the journal shows it as text; drops control characters. */
export function snEscape(value: string): string {
  return deskText(value).replace(/\[(\/?)code\]/gi, (_m, slash: string) => `[${slash}code\u200b]`);
}

function oneLine(value: string): string {
  return snEscape(value).replace(/\s+/g, ' ').trim();
}

export function truncate(text: string, max: number, marker = '… (truncated)'): string {
  if (text.length <= max) return text;
  return text.slice(0, Math.max(0, max - marker.length)) + marker;
}

/** A single-line short_description of at most 160 characters. */
export function snShortDescription(summary: string): string {
  return fitText(oneLine(summary), SN_SHORT_DESCRIPTION_MAX);
}

export function renderSnText(blocks: ContentBlock[], max = SN_DESCRIPTION_MAX): string {
  const out: string[] = [];
  for (const block of blocks) {
    switch (block.kind) {
      case 'heading': {
        const text = oneLine(block.text);
        out.push(`${text}\n${'='.repeat(Math.min(text.length, 60))}`);
        break;
      }
      case 'paragraph':
        out.push(snEscape(block.text));
        break;
      case 'list':
        out.push(block.items.map((item) => `- ${snEscape(item).replace(/\n/g, '\n  ')}`).join('\n'));
        break;
      case 'code':
        out.push(
          snEscape(block.text)
            .split('\n')
            .map((line) => `    ${line}`)
            .join('\n'),
        );
        break;
      case 'fields':
        out.push(block.rows.map(([name, value]) => `${oneLine(name)}: ${snEscape(value).replace(/\n/g, '\n  ')}`).join('\n'));
        break;
    }
  }
  return truncate(out.join('\n\n'), max);
}
