import type { ContentBlock } from '../../../schemas/ticket.schema.ts';
import { deskText } from './desk-kit.ts';

/**
 * ContentBlocks as Markdown (the file desk) and as HTML (RT), and the HTML escaping that
 * Zendesk's renderer shares. The other desks render their own: Zendesk in zendesk-html.ts,
 * ServiceNow in servicenow-text.ts, Jira in jira-adf.ts. Every value from a report or from
 * Graph is escaped: a display name like `<b>*x*</b>` must show as typed, never as markup.
 */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Backslash-escapes what CommonMark would read as markup (emphasis, code, links, HTML, tables),
 * and line-leading markers (headings, lists, quotes), so text renders literally.
 */
export function escapeMarkdown(s: string): string {
  return s
    // `&` too: CommonMark reads "&lt;b&gt;" as "<b>"
    .replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#+\-=>])/gm, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/gm, '$1\\$2')
    .replace(/\r?\n/g, '  \n');
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

export function toMarkdown(blocks: ContentBlock[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `### ${escapeMarkdown(b.text)}`;
        case 'paragraph':
          return escapeMarkdown(b.text);
        case 'list':
          return b.items.map((i) => `- ${escapeMarkdown(i)}`).join('\n');
        case 'code': {
          const f = fence(b.text);
          return `${f}powershell\n${b.text}\n${f}`;
        }
        case 'fields':
          return ['| Field | Value |', '| --- | --- |', ...b.rows.map(([k, v]) => `| ${escapeMarkdown(k)} | ${escapeMarkdown(v)} |`)].join(
            '\n',
          );
      }
    })
    .join('\n\n');
}

export function toHtml(blocks: ContentBlock[]): string {
  // desk text first: a mail's terminal escapes (ESC, BEL: colours, OSC 8 links) reach RT's mails and its CLI otherwise
  const html = (s: string): string => escapeHtml(deskText(s));
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `<h3>${html(b.text)}</h3>`;
        case 'paragraph':
          return `<p>${html(b.text).replace(/\n/g, '<br>')}</p>`;
        case 'list':
          return `<ul>${b.items.map((i) => `<li>${html(i)}</li>`).join('')}</ul>`;
        case 'code':
          return `<pre><code>${html(b.text)}</code></pre>`;
        case 'fields':
          return `<table>${b.rows.map(([k, v]) => `<tr><th>${html(k)}</th><td>${html(v)}</td></tr>`).join('')}</table>`;
      }
    })
    .join('\n');
}
