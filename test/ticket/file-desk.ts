import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTicketSink, type FileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import { toMarkdown } from '../../src/ticket/sinks/markup.ts';
import type { InspectedTicket, ScenarioDesk } from './scenarios.ts';

/** The file sink (the embedded default desk) in a temp dir, read back by a second instance. */

function inspected(t: NonNullable<Awaited<ReturnType<FileTicketSink['read']>>>): InspectedTicket {
  return {
    id: t.id,
    status: t.status,
    summary: t.summary,
    notes: t.notes.length,
    linkedTo: t.links.filter((l) => l.type === 'refers-to').map((l) => l.id),
    text: toMarkdown(t.body),
  };
}

export async function fileScenarioDesk(): Promise<ScenarioDesk> {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-file-desk-'));
  let clock: () => Date = () => new Date();
  const sink = createFileTicketSink({ dir, now: () => clock() });
  // A second instance reads for the assertions, so they never go through the sink under test's memory.
  const reader = createFileTicketSink({ dir });
  return {
    sink,
    setClock: (now) => (clock = now),
    inspect: {
      async tickets(key) {
        const found = await reader.findByKey(key);
        return Promise.all(found.map(async (t) => inspected((await reader.read(t.id))!)));
      },
      async ticket(id) {
        const t = await reader.read(id);
        if (!t) throw new Error(`no ticket ${id}`);
        return inspected(t);
      },
      async setStatus(id, status) {
        await reader.setStatus(id, status);
      },
    },
  };
}
