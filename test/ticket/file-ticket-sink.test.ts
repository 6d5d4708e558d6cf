import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';

function draft(key: string, summary = 'Duplicate <UPN> *john*') {
  return { key, summary, keyDisplay: 'DuplicateAttribute UPN john', body: [{ kind: 'paragraph' as const, text: 'held by <b>John</b>' }] };
}

describe('file ticket sink', () => {
  it('writes one JSON and one Markdown file per ticket, escaped, with no temporary files left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-files-'));
    const sink = createFileTicketSink({ dir });
    const t = await sink.create(draft('aadsync-1'), { idempotencyKey: 'x' });
    await sink.addNote(t, [{ kind: 'paragraph', text: 'changed' }]);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['by-key', `${t.id}.json`, `${t.id}.md`].sort());
    const md = readFileSync(join(dir, `${t.id}.md`), 'utf8');
    expect(md).toContain('# Duplicate \\<UPN\\> \\*john\\*');
    expect(md).toContain('held by \\<b\\>John\\</b\\>');
    expect(md).toMatch(/## Note — .*\n\nchanged/);
    const json = JSON.parse(readFileSync(join(dir, `${t.id}.json`), 'utf8'));
    expect(json).toMatchObject({ id: t.id, key: 'aadsync-1', status: 'open', notes: [{ kind: 'note' }] });
    // for the service's user and group, not every local account
    for (const f of [`${t.id}.json`, `${t.id}.md`]) expect(statSync(join(dir, f)).mode & 0o007).toBe(0);
  });

  it("shows a mail's terminal escapes in the Markdown, not raw (people cat it); the JSON record keeps the text", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-files-'));
    const sink = createFileTicketSink({ dir });
    const t = await sink.create(draft('aadsync-esc', 'Duplicate ev\u001b[31mil\u001b]0;PWNED\u0007'), { idempotencyKey: 'x' });
    await sink.addNote(t, [{ kind: 'code', text: 'junk \u009b2J\u0000 end\tafter a tab' }]);
    const md = readFileSync(join(dir, `${t.id}.md`), 'utf8');
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(md).toContain('# Duplicate ev\\u001b\\[31mil\\u001b\\]0;PWNED\\u0007');
    expect(md).toContain('junk \\u009b2J\\u0000 end\tafter a tab');
    expect((await sink.read(t.id))!.summary).toBe('Duplicate ev\u001b[31mil\u001b]0;PWNED\u0007');
  });

  it('finds tickets by exact key, newest first, with status set by hand and links both ways', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-files-'));
    let at = Date.parse('2026-11-01T00:00:00Z');
    const sink = createFileTicketSink({ dir, now: () => new Date((at += 1000)) });
    const first = await sink.create(draft('aadsync-2'), { idempotencyKey: 'a' });
    await sink.create(draft('aadsync-3'), { idempotencyKey: 'b' });
    await sink.setStatus(first.id, 'closed');
    const second = await sink.create(draft('aadsync-2'), { idempotencyKey: 'c', followUpOf: { ...first, status: 'closed' } });
    const found = await sink.findByKey('aadsync-2');
    expect(found.map((t) => [t.id, t.status])).toEqual([
      [second.id, 'open'],
      [first.id, 'closed'],
    ]);
    expect((await sink.read(second.id))!.links).toEqual([{ type: 'refers-to', id: first.id }]);
    expect((await sink.read(first.id))!.links).toEqual([{ type: 'referred-to-by', id: second.id }]);
    expect(await sink.findByKey('aadsync-none')).toEqual([]);
    const resolved = await sink.resolve(second, [{ kind: 'paragraph', text: 'gone' }]);
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String) });
    // reopened, it is no longer resolved: its file says so
    expect(await sink.reopen(resolved, [])).toMatchObject({ status: 'open', resolvedAt: null });
    expect(readFileSync(join(dir, `${second.id}.md`), 'utf8')).toMatch(/^- Status: open$/m);
  });
});
