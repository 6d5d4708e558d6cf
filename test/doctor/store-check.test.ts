import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWritableDir } from '../../src/doctor/store-check.ts';

/** The mail store holds whole mails: doctor says when every local user can read them (blind36 U4: an older version's files keep their modes). */
describe('doctor: the mail store', () => {
  it('warns of a folder or mails every local user can read, with the chmod that fixes it; made by doctor, the folder is private', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'syncdesk-store-')), 'mail');
    expect(await checkWritableDir('mail store', dir, 'MAIL_STORE_DIR')).toMatchObject({ status: 'pass' });
    writeFileSync(join(dir, 'old.eml'), 'From: a\r\n\r\nb', { mode: 0o644 });
    chmodSync(join(dir, 'old.eml'), 0o644);
    chmodSync(dir, 0o755);
    const open = await checkWritableDir('mail store', dir, 'MAIL_STORE_DIR');
    expect(open).toMatchObject({ status: 'warn', ok: true, detail: `${dir} is writable; the folder and 1 file(s) in it can be read by every local user (written by an older version, or under a wider umask)`, fix: `chmod -R go-rwx ${dir}` });
    chmodSync(dir, 0o700);
    chmodSync(join(dir, 'old.eml'), 0o600);
    expect(await checkWritableDir('mail store', dir, 'MAIL_STORE_DIR')).toMatchObject({ status: 'pass' });
  });
});
