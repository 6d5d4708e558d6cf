import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailInputError, readMailInputs, type MailInput } from '../../src/ingest/mail-files.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdesk-mail-files-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function collect(paths: string[]): Promise<MailInput[]> {
  const out: MailInput[] = [];
  for await (const input of readMailInputs(paths)) out.push(input);
  return out;
}

const mail = (subject: string, body: string, eol = '\r\n'): string =>
  [`From: a@example.com`, `Subject: ${subject}`, `Message-ID: <${subject}@example.com>`, '', body, ''].join(eol);

describe('readMailInputs', () => {
  it('reads a single .eml file byte for byte', async () => {
    const raw = mail('one', 'hello\r\nFrom here on, text');
    writeFileSync(join(dir, 'one.eml'), raw);
    const got = await collect([join(dir, 'one.eml')]);
    expect(got).toHaveLength(1);
    expect(got[0]!.kind).toBe('file');
    expect(got[0]!.label).toBe(join(dir, 'one.eml'));
    expect(got[0]!.raw.equals(Buffer.from(raw))).toBe(true);
  });

  it('walks a directory recursively, sorted, keeping only mail-like names and skipping hidden files', async () => {
    mkdirSync(join(dir, 'b'));
    mkdirSync(join(dir, 'a', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'b', '2.eml'), mail('b2', 'x'));
    writeFileSync(join(dir, 'a', 'deep', '1.EML'), mail('a1', 'x'));
    writeFileSync(join(dir, 'a', 'noext'), mail('noext', 'x'));
    writeFileSync(join(dir, 'a', 'outlook.msg'), Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2, 3]));
    writeFileSync(join(dir, 'notes.txt'), 'not a mail');
    writeFileSync(join(dir, '.hidden.eml'), mail('hidden', 'x'));
    const got = await collect([dir]);
    expect(got.map((g) => g.label)).toEqual([
      join(dir, 'a', 'deep', '1.EML'),
      join(dir, 'a', 'noext'),
      join(dir, 'a', 'outlook.msg'),
      join(dir, 'b', '2.eml'),
    ]);
    expect(got[2]!.raw).toEqual(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2, 3]));
  });

  it('splits an mbox on From lines, undoes mboxrd quoting and keeps the messages intact (LF)', async () => {
    const m1 = mail('m1', 'line one\n>From the admin, quoted\n>>From deeper\nplain >From inside', '\n');
    const m2 = mail('m2', 'second body', '\n');
    const quoted = (m: string): string => m.replace(/^(>*From )/gm, '>$1');
    const mbox =
      `From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n${quoted(m1)}\n` +
      `From someone@example.com Fri Jan  2 00:00:00 2026\n${quoted(m2)}\n`;
    writeFileSync(join(dir, 'export'), mbox);
    const got = await collect([join(dir, 'export')]);
    expect(got.map((g) => g.kind)).toEqual(['mbox', 'mbox']);
    expect(got.map((g) => g.label)).toEqual([`${join(dir, 'export')}#1`, `${join(dir, 'export')}#2`]);
    expect(got[0]!.raw.toString()).toBe(m1);
    expect(got[1]!.raw.toString()).toBe(m2);
  });

  it('keeps CRLF line endings inside mbox messages', async () => {
    const m1 = mail('crlf1', 'a\r\nb');
    const m2 = mail('crlf2', 'c');
    writeFileSync(join(dir, 'x.mbox'), `From a@b Thu Jan  1 00:00:00 2026\r\n${m1}\r\nFrom a@b Thu Jan  1 00:00:00 2026\r\n${m2}`);
    const got = await collect([join(dir, 'x.mbox')]);
    expect(got.map((g) => g.raw.toString())).toEqual([m1, m2]);
  });

  it('treats a file as a single mail when it does not start with a From line, whatever its name', async () => {
    const raw = mail('single', 'From inside the body\r\n');
    writeFileSync(join(dir, 'not-really.mbox'), raw);
    const got = await collect([join(dir, 'not-really.mbox')]);
    expect(got).toHaveLength(1);
    expect(got[0]!.kind).toBe('file');
    expect(got[0]!.raw.toString()).toBe(raw);
  });

  it('streams a large mbox (messages split across read chunks) without losing bytes', async () => {
    const path = join(dir, 'big.mbox');
    const out = createWriteStream(path);
    const expected: string[] = [];
    const filler = 'x'.repeat(997);
    for (let i = 0; i < 300; i++) {
      const body = Array.from({ length: 40 }, (_, j) => `${i}-${j} ${filler}`).join('\n');
      const m = mail(`big${i}`, body, '\n');
      expected.push(m);
      if (!out.write(`From sender@example.com Thu Jan  1 00:00:00 2026\n${m}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    let count = 0;
    for await (const input of readMailInputs([path])) {
      expect(input.raw.toString()).toBe(expected[count]);
      count++;
    }
    expect(count).toBe(300);
  });

  it('fails with a clear MailInputError for a missing path', async () => {
    const missing = join(dir, 'nope.eml');
    const err = await collect([missing]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailInputError);
    expect((err as MailInputError).message).toBe(`cannot read mail input ${missing}: no such file or directory`);
  });

  it('fails with a clear MailInputError for something that is not a file (a FIFO)', async () => {
    const path = join(dir, 'pipe.eml');
    execFileSync('mkfifo', [path]);
    const err = await collect([path]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailInputError);
    expect((err as MailInputError).message).toBe(`cannot read mail input ${path}: not a regular file or directory`);
  });

  it('reports the path that failed when a directory walk hits a broken path', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const bad = join(dir, 'plain', 'child.eml');
    const err = await collect([join(dir), bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailInputError);
    expect((err as MailInputError).path).toBe(bad);
  });
});
