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

  it('names the files of a folder that are no mail (a report saved as .htm gave nothing: blind27 M6), without an error', async () => {
    writeFileSync(join(dir, '1.eml'), mail('one', 'x'));
    writeFileSync(join(dir, 'report.htm'), '<html><body><p>From: MSOnlineServicesTeam</p></body></html>');
    writeFileSync(join(dir, '.hidden.htm'), 'x');
    const passedOver: string[] = [];
    const unreadable: string[] = [];
    const got: string[] = [];
    for await (const input of readMailInputs([dir], { onPassedOver: (p) => passedOver.push(p), onUnreadable: (e) => unreadable.push(e.path) })) got.push(input.label);
    expect(got).toEqual([join(dir, '1.eml')]);
    expect(passedOver).toEqual([join(dir, 'report.htm')]);
    expect(unreadable).toEqual([]);
  });

  it('reads mail stores as they are copied: Maildir (its ++ folders, not tmp/), MH numbers, Apple Mail .emlx; never their indexes', async () => {
    // layouts from the Dovecot Maildir documentation, nmh's mh-sequence(5) and partial-emlx-converter's test data (a blind test of mail stores)
    const maildir = join(dir, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp', '.Reports/cur', '.Reports/new', '.Reports/tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    writeFileSync(join(maildir, 'cur', '1709632800.M123P456.mx1,S=4321,W=4400:2,S'), mail('maildir-cur', 'x'));
    writeFileSync(join(maildir, 'new', '1709719200.M9P8.mx1,S=400'), mail('maildir-new', 'x'));
    writeFileSync(join(maildir, 'tmp', '1709719300.M1P1.mx1'), mail('maildir-tmp', 'half a mail'));
    writeFileSync(join(maildir, '.Reports', 'cur', '1709805600.M5P5.mx1:2,RS'), mail('maildir-folder', 'x'));
    writeFileSync(join(maildir, 'dovecot-uidlist'), '3 V1709632800 N4\n1 :1709632800.M123P456.mx1\n');
    writeFileSync(join(maildir, 'dovecot.index.log'), Buffer.from([1, 2, 0, 0, 0x28, 0, 0, 0]));
    const mh = join(dir, 'mh', 'inbox');
    mkdirSync(mh, { recursive: true });
    writeFileSync(join(mh, '1'), mail('mh-1', 'x'));
    writeFileSync(join(mh, '.mh_sequences'), 'cur: 1\nunseen: 1\n');
    const messages = join(dir, 'INBOX.mbox', 'Data', 'Messages');
    mkdirSync(messages, { recursive: true });
    const inner = mail('emlx', 'the report');
    writeFileSync(join(messages, '31416.emlx'), `${Buffer.byteLength(inner)}       \n${inner}<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>flags</key><integer>8590195713</integer></dict></plist>\n`);
    writeFileSync(join(dir, 'INBOX.mbox', 'Info.plist'), '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n');
    writeFileSync(join(dir, 'Thumbs.db'), Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]));
    const got = await collect([dir]);
    expect(got.map((g) => g.label.slice(dir.length + 1))).toEqual([
      'INBOX.mbox/Data/Messages/31416.emlx',
      'Maildir/.Reports/cur/1709805600.M5P5.mx1:2,RS',
      'Maildir/cur/1709632800.M123P456.mx1,S=4321,W=4400:2,S',
      'Maildir/new/1709719200.M9P8.mx1,S=400',
      'mh/inbox/1',
    ]);
    // the .emlx is the message alone: its byte count and Apple Mail's plist are not the mail's
    expect(got[0]!.raw.toString()).toBe(inner);
  });

  it('reads a saved .eml without its UTF-8 byte order mark, a cut-short .emlx up to its plist, and MH numbers in order', async () => {
    const raw = mail('bom', 'x');
    writeFileSync(join(dir, 'saved.eml'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(raw)]));
    const inner = mail('cut', 'the report');
    writeFileSync(join(dir, 'cut.emlx'), `${Buffer.byteLength(inner) + 500}\n${inner}<?xml version="1.0"?>\n<plist version="1.0"><dict/></plist>\n`);
    const mh = join(dir, 'inbox');
    mkdirSync(mh);
    for (const n of [10, 2, 1]) writeFileSync(join(mh, String(n)), mail(`mh-${n}`, 'x'));
    const got = await collect([dir]);
    expect(got.map((g) => g.label.slice(dir.length + 1))).toEqual(['cut.emlx', 'inbox/1', 'inbox/2', 'inbox/10', 'saved.eml']);
    expect(got[0]!.raw.toString()).toBe(inner);
    expect(got[4]!.raw.toString()).toBe(raw);
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

  it('splits an mboxcl2 by its Content-Length, where body lines starting "From " are not quoted; a Content-Length the body does not bear out counts for nothing', async () => {
    // mboxcl2 as the Library of Congress format page and public-inbox's lei writer describe it
    const body1 = 'Hi,\n\nprocmail says:\n\nFrom MSOnlineServicesTeam@MicrosoftOnline.com  Wed Feb  2 07:04:15 2022\n Subject: x\n\nFrom what I can see it matched.\n';
    const m1 = `From: a@example.com\nSubject: one\nContent-Length: ${Buffer.byteLength(body1)}\n\n${body1}`;
    const m2 = 'From: b@example.com\nSubject: two\nContent-Length: 7\n\nsecond\n';
    writeFileSync(join(dir, 'itops'), `From a@example.com Thu Feb  3 09:15:00 2022\n${m1}\nFrom b@example.com Thu Feb 10 16:40:00 2022\n${m2}\n`);
    expect((await collect([join(dir, 'itops')])).map((g) => g.raw.toString())).toEqual([m1, m2]);
    // a stale count (longer than what follows in the file): cut at From lines, mboxrd quoting undone once
    const stale = 'From: c@example.com\nSubject: three\nContent-Length: 9999\n\nbody\n>>From quoted twice\n';
    writeFileSync(join(dir, 'stale'), `From c@example.com Thu Feb  3 09:15:00 2022\n${stale}\nFrom d@example.com Thu Feb 10 16:40:00 2022\n${m2}\n`);
    expect((await collect([join(dir, 'stale')])).map((g) => g.raw.toString())).toEqual([stale.replace('>>From', '>From'), m2]);
    // a count the file holds but the body does not bear out: the From lines it swallowed split it again
    const wrong = 'From: e@example.com\nSubject: four\nContent-Length: 60\n\nshort\n';
    writeFileSync(join(dir, 'wrong'), `From e@example.com Thu Feb  3 09:15:00 2022\n${wrong}\nFrom f@example.com Thu Feb 10 16:40:00 2022\n${m2}\n`);
    expect((await collect([join(dir, 'wrong')])).map((g) => g.raw.toString())).toEqual([wrong, m2]);
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

  it('an mbox splits at From_ lines of any common writer, not at a body line an mboxo writer left unquoted', async () => {
    const path = join(dir, 'archive.mbox');
    const body = (n: string) => `From: a@example.com\nSubject: ${n}\n\nline one\nFrom the previous report at 06:00 on 5 May 2026, nothing changed.\nFrom 9:00 until 2025 closing\nlast line\n`;
    writeFileSync(
      path,
      [
        `From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n${body('one')}`,
        `From - Mon Jan  1 00:00:00 2024\n${body('two')}`,
        `From sender@example.com Sat, 04 Jan 2020 10:48:32 +0000\n${body('three')}`,
      ].join('\n'),
    );
    const mails = (await collect([path])).map((m) => m.raw.toString());
    expect(mails.map((m) => /Subject: (\w+)/.exec(m)?.[1])).toEqual(['one', 'two', 'three']);
    expect(mails[0]).toContain('From the previous report at 06:00 on 5 May 2026, nothing changed.\nFrom 9:00 until 2025 closing\nlast line');
  });

  it('with onUnreadable, passes over what cannot be read and reads the rest', async () => {
    const missing = join(dir, 'nope.eml');
    const fifo = join(dir, 'pipe.eml');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'folder', 'b.eml'), 'Subject: b\r\n\r\nb');
    writeFileSync(join(dir, 'a.eml'), 'Subject: a\r\n\r\na');
    const passed: MailInputError[] = [];
    const read: string[] = [];
    for await (const m of readMailInputs([missing, join(dir, 'a.eml'), fifo, join(dir, 'folder')], { onUnreadable: (e) => passed.push(e) })) read.push(m.label);
    expect(read).toEqual([join(dir, 'a.eml'), join(dir, 'folder', 'b.eml')]);
    expect(passed.map((e) => [e.path, e.reason])).toEqual([
      [missing, 'no such file or directory'],
      [fifo, 'not a regular file or directory'],
    ]);
  });

  it('reports the path that failed when a directory walk hits a broken path', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const bad = join(dir, 'plain', 'child.eml');
    const err = await collect([join(dir), bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailInputError);
    expect((err as MailInputError).path).toBe(bad);
  });
});
