import type { ContentBlock } from '../../../schemas/ticket.schema.ts';
import { deskLine, deskText } from './desk-kit.ts';

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

/**
 * Jira's limit for a description or comment, 32,767 characters. Whether Jira counts the text,
 * the ADF JSON or its stored rendering is not documented, so the serialised ADF is budgeted:
 * it is the largest of the three (a digest's JSON is nearly twice its text).
 */
const JIRA_BODY_MAX = 32_767;
const JIRA_SUMMARY_MAX = 255;

const clean = deskText;

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

const size = (value: unknown): number => JSON.stringify(value).length;

const TRUNCATED = paragraph(text('… (truncated: the rest did not fit in a Jira field)', [{ type: 'em' }]));

/** A text block cut down to fit `room` characters of JSON, or null when too little room is left to be worth it. */
function shrink(block: ContentBlock, room: number): AdfNode | null {
  if ((block.kind !== 'paragraph' && block.kind !== 'code') || room < 200) return null;
  let value = block.text.slice(0, room);
  for (;;) {
    const node = blockNode({ ...block, text: value });
    if (!node || size(node) <= room) return node;
    // Escapes (quotes, newlines as hardBreaks) make the JSON longer than the text: cut again.
    value = value.slice(0, Math.floor(value.length * 0.9));
  }
}

export function toAdf(blocks: ContentBlock[], max = JIRA_BODY_MAX): AdfDoc {
  const doc: AdfDoc = { type: 'doc', version: 1, content: [] };
  // Room for the document itself and for the truncation note, with the commas between nodes.
  const budget = max - size(doc) - size(TRUNCATED) - 1;
  let used = 0;
  for (const block of blocks) {
    const node = blockNode(block);
    if (!node) continue;
    const cost = size(node) + (doc.content.length ? 1 : 0);
    if (used + cost <= budget) {
      doc.content.push(node);
      used += cost;
      continue;
    }
    const cut = shrink(block, budget - used - 1);
    if (cut) doc.content.push(cut);
    doc.content.push(TRUNCATED);
    break;
  }
  if (!doc.content.length) doc.content.push(paragraph([]));
  return doc;
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
  return deskLine(summary, JIRA_SUMMARY_MAX);
}
