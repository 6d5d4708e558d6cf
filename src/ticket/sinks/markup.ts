import type { ContentBlock } from '../../../schemas/ticket.schema.ts';

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
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
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
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `<h3>${escapeHtml(b.text)}</h3>`;
        case 'paragraph':
          return `<p>${escapeHtml(b.text).replace(/\r?\n/g, '<br>')}</p>`;
        case 'list':
          return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
        case 'code':
          return `<pre><code>${escapeHtml(b.text)}</code></pre>`;
        case 'fields':
          return `<table>${b.rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
      }
    })
    .join('\n');
}
