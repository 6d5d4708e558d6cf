import type { ContentBlock } from '../../../schemas/ticket.schema.ts';

/**
 * ContentBlocks as Atlassian Document Format (Jira Cloud REST v3 descriptions and comments).
 * Values go into `text` nodes, which Jira shows literally: no wiki markup, Markdown or HTML in
 * a value is ever interpreted. ADF rejects empty text nodes, so they are left out.
 */

export interface AdfMark {
  type: 'strong' | 'em' | 'code';
}
export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: AdfMark[];
}
export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/** Jira's limit for a description or comment, in characters of text. */
export const JIRA_TEXT_MAX = 32_000;
export const JIRA_SUMMARY_MAX = 255;

function clean(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

function text(value: string, marks?: AdfMark[]): AdfNode[] {
  const v = clean(value);
  if (!v) return [];
  return [marks ? { type: 'text', text: v, marks } : { type: 'text', text: v }];
}

/** Text with its line breaks kept as hardBreak nodes. */
function inline(value: string, marks?: AdfMark[]): AdfNode[] {
  const out: AdfNode[] = [];
  clean(value)
    .split('\n')
    .forEach((line, i) => {
      if (i > 0) out.push({ type: 'hardBreak' });
      out.push(...text(line, marks));
    });
  return out;
}

function paragraph(content: AdfNode[]): AdfNode {
  return { type: 'paragraph', content };
}

function blockNode(block: ContentBlock): AdfNode | null {
  switch (block.kind) {
    case 'heading': {
      const content = text(clean(block.text).replace(/\s+/g, ' ').trim());
      return content.length ? { type: 'heading', attrs: { level: 3 }, content } : null;
    }
    case 'paragraph':
      return paragraph(inline(block.text));
    case 'list':
      if (!block.items.length) return null;
      return { type: 'bulletList', content: block.items.map((item) => ({ type: 'listItem', content: [paragraph(inline(item))] })) };
    case 'code':
      return { type: 'codeBlock', attrs: {}, content: text(block.text) };
    case 'fields':
      if (!block.rows.length) return null;
      return {
        type: 'bulletList',
        content: block.rows.map(([name, value]) => ({
          type: 'listItem',
          content: [paragraph([...text(`${name}: `, [{ type: 'strong' }]), ...inline(value)])],
        })),
      };
  }
}

function textLength(node: AdfNode): number {
  return (node.text?.length ?? 0) + (node.content ?? []).reduce((n, c) => n + textLength(c), 0);
}

export function toAdf(blocks: ContentBlock[], max = JIRA_TEXT_MAX): AdfDoc {
  const content: AdfNode[] = [];
  let used = 0;
  for (const block of blocks) {
    const node = blockNode(block);
    if (!node) continue;
    const size = textLength(node);
    if (used + size > max) {
      content.push(paragraph(text('… (truncated: the rest did not fit in a Jira field)', [{ type: 'em' }])));
      break;
    }
    used += size;
    content.push(node);
  }
  if (!content.length) content.push(paragraph([]));
  return { type: 'doc', version: 1, content };
}

/** All text of a document, blocks separated by newlines (for tests and logs). */
export function adfText(node: AdfNode | AdfDoc): string {
  if ('text' in node && typeof node.text === 'string') return node.text;
  if (node.type === 'hardBreak') return '\n';
  const parts = (node.content ?? []).map((c) => adfText(c));
  const isBlockContainer = node.type === 'doc' || node.type === 'bulletList' || node.type === 'listItem';
  return parts.join(isBlockContainer ? '\n' : '');
}

/** A one-line summary of at most 255 characters (Jira rejects newlines in summaries). */
export function jiraSummary(summary: string): string {
  const line = clean(summary).replace(/\s+/g, ' ').trim();
  return line.length > JIRA_SUMMARY_MAX ? `${line.slice(0, JIRA_SUMMARY_MAX - 1)}…` : line;
}
