import type { ContentBlock } from '../../../schemas/ticket.schema.ts';
import { deskLine, deskText } from './desk-kit.ts';
import { escapeHtml } from './markup.ts';

/**
 * ContentBlocks as the HTML of a Zendesk comment (`html_body`). Every value is escaped, so
 * markup in a report (a display name with `<script>`, an attribute value with `&`) shows as
 * text in the agent view instead of being rendered or stripped.
 */

/**
 * Zendesk's limit for one comment is about 64 KB, in bytes, "depending on your encoding/markup"
 * (a Zendesk developer advocate, support.zendesk.com community post 4719863289498): a body
 * counted in characters passes it with accented or CJK names (2–3 bytes each). Stay well under.
 */
const ZENDESK_HTML_MAX_BYTES = 60_000;
const ZENDESK_SUBJECT_MAX = 255;

/** A value as Zendesk HTML: desk text (no control characters, `\n` line ends), then escaped. */
function escaped(value: string): string {
  return escapeHtml(deskText(value));
}

function lines(value: string): string {
  return escaped(value).replace(/\n/g, '<br>');
}

function blockHtml(block: ContentBlock): string {
  switch (block.kind) {
    case 'heading':
      return `<h3>${escaped(block.text)}</h3>`;
    case 'paragraph':
      return `<p>${lines(block.text)}</p>`;
    case 'list':
      return block.items.length ? `<ul>${block.items.map((i) => `<li>${lines(i)}</li>`).join('')}</ul>` : '';
    case 'code':
      return `<pre><code>${escaped(block.text)}</code></pre>`;
    case 'fields':
      return block.rows.length
        ? `<ul>${block.rows.map(([k, v]) => `<li><strong>${escaped(k)}:</strong> ${lines(v)}</li>`).join('')}</ul>`
        : '';
  }
}

export function renderZendeskHtml(blocks: ContentBlock[], maxBytes = ZENDESK_HTML_MAX_BYTES): string {
  const parts: string[] = [];
  let used = 0;
  for (const block of blocks) {
    const html = blockHtml(block);
    if (!html) continue;
    // the line break that joins the parts counts too
    const bytes = Buffer.byteLength(html, 'utf8') + 1;
    if (used + bytes > maxBytes) {
      parts.push('<p><em>… (truncated: the rest did not fit in a Zendesk comment)</em></p>');
      break;
    }
    used += bytes;
    parts.push(html);
  }
  return parts.join('\n') || '<p>(no details)</p>';
}

/** A one-line subject of at most 255 characters. */
export function zendeskSubject(summary: string): string {
  return deskLine(summary, ZENDESK_SUBJECT_MAX);
}
