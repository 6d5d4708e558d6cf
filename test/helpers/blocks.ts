import type { Block } from '../../src/parse/blocks.ts';
import { ErrorExtractor, type Extraction } from '../../src/parse/extract-errors.ts';
import { readHtml } from '../../src/parse/html-blocks.ts';
import { tokenize, type Tokenize } from '../../src/parse/html-tokens.ts';

/*
 * The parser streams blocks from the reader into the extractor; tests look at the list in
 * between, so these collect it.
 */

/** The blocks of an HTML body, as a list. */
export function htmlToBlocks(html: string, tokenizeHtml: Tokenize = tokenize): Block[] {
  const blocks: Block[] = [];
  readHtml(html, { add: (block) => blocks.push(block) }, tokenizeHtml);
  return blocks;
}

/** The records of a list of blocks at once. */
export function extractErrors(blocks: Block[]): Extraction {
  const extractor = new ErrorExtractor();
  for (const block of blocks) extractor.add(block);
  return extractor.finish();
}
