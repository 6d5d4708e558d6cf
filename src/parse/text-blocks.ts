import { decodeHTML } from 'entities';
import { squeeze, type Block } from './blocks.ts';

/**
 * Reduces a plain-text body to blocks: `> ` quote prefixes removed, blank lines as breaks,
 * and `identity | description |` lines as rows. Flattened rows wrapped by a mail client
 * are joined back when the layout ends its rows with `|`.
 */
/** A flattened row wrapped by a mail client spans some lines (a 600-character error at 40 columns: 15), never hundreds. */
const MAX_ROW_LINES = 80;

export function textToBlocks(text: string): Block[] {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/^(?:[ \t]*>)+ ?/, ''))
    .map((l) => (l.includes('&') ? decodeHTML(l) : l));
  // rows closed by a final `|` (S12's layout): a wrap may even leave that `|` alone on a line
  const trailingPipes = lines.some((l) => /\|\s*$/.test(l));
  const blocks: Block[] = [];
  let table = 0;
  let inTable = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (!line.trim()) {
      blocks.push({ kind: 'break' });
      inTable = false;
      continue;
    }
    if (isPipeRow(line)) {
      // a row wrapped over several lines: join until the line that closes it with `|`
      // (at most a few lines: a row that never closes must not swallow the rest of the mail)
      let last = line;
      for (let joined = 0; trailingPipes && !/\|\s*$/.test(last) && joined < MAX_ROW_LINES && i + 1 < lines.length; joined++) {
        const next = lines[i + 1]!;
        if (!next.trim() || isPipeStart(next)) break;
        line += '\n' + next;
        last = next;
        i++;
      }
      const cells = line.replace(/\|\s*$/, '').split('|').map((c) => c.split('\n').map(squeeze).join('\n').trim());
      if (cells.filter(Boolean).length >= 2) {
        if (!inTable) table++;
        inTable = true;
        blocks.push({ kind: 'row', cells, table: -table });
        continue;
      }
      line = cells.join(' ');
    }
    inTable = false;
    const t = squeeze(line);
    if (t) blocks.push({ kind: 'line', text: t });
  }
  return blocks;
}

/** `a | b |` or `a | b`: a flattened table row (a lone `|` inside a sentence is not). */
function isPipeRow(line: string): boolean {
  return /\S\s+\|\s+\S/.test(line) || /\S\s*\|\s*$/.test(line);
}

/** A line that starts a new flattened row (so it is not the continuation of the previous one). */
function isPipeStart(line: string): boolean {
  return /^[^|\s][^|]{0,200}\s\|\s/.test(line);
}
