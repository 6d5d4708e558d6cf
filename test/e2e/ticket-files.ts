import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readTickets } from '../pipeline/helpers.ts';

/** A ticket the file sink wrote: its JSON fields and its Markdown twin. */
export interface TicketFile {
  id: string;
  key: string;
  summary: string;
  status: string;
  markdown: string;
}

/** Every ticket in the file sink's folder (none while it does not exist yet). */
export function ticketFiles(ticketDir: string): TicketFile[] {
  return readTickets(ticketDir)
    .filter((t) => /^T\d{13}-[0-9a-f]{6}$/.test(t.id))
    .map((t) => ({ ...t, markdown: readFileSync(join(ticketDir, `${t.id}.md`), 'utf8') }));
}

/** The one ticket whose summary contains `text` (fails the test when there is none or several). */
export function ticketOn(ticketDir: string, text: string): TicketFile {
  const found = ticketFiles(ticketDir).filter((t) => t.summary.includes(text));
  expect(found, `one ticket for ${text}: ${ticketFiles(ticketDir).map((t) => t.summary).join(' | ')}`).toHaveLength(1);
  return found[0]!;
}
