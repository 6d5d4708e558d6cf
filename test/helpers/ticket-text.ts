import type { ContentBlock } from '../../schemas/ticket.schema.ts';

/**
 * ContentBlocks as plain text, for tests that read a ticket body without a desk's markup
 * (no desk sends this form: each renders its own, see src/ticket/sinks/).
 */
export function toText(blocks: ContentBlock[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'heading':
          return `== ${b.text} ==`;
        case 'paragraph':
          return b.text;
        case 'list':
          return b.items.map((i) => `  * ${i}`).join('\n');
        case 'code':
          return b.text
            .split('\n')
            .map((l) => `    ${l}`)
            .join('\n');
        case 'fields': {
          const width = Math.max(0, ...b.rows.map(([k]) => k.length));
          return b.rows.map(([k, v]) => `${k.padEnd(width)} : ${v}`).join('\n');
        }
      }
    })
    .join('\n\n');
}
