import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorText, fail, pass, warn, type CheckResult } from './check.ts';
import { diskFix } from '../write-atomic.ts';

/** A folder syncdesk writes to exists (or can be made) and takes a file. */
export async function checkWritableDir(check: string, dir: string, key: string): Promise<CheckResult> {
  const abs = resolve(dir);
  const probe = join(abs, `.doctor-${randomUUID()}`);
  try {
    await mkdir(abs, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'syncdesk doctor\n');
    await rm(probe, { force: true });
    const open = await readableByOthers(abs);
    if (open) return warn(check, `${abs} is writable; ${open} can be read by every local user (written by an older version, or under a wider umask)`, `chmod -R go-rwx ${abs}`);
    return pass(check, `${abs} is writable`);
  } catch (err) {
    return fail(check, `${abs}: ${errorText(err)}`, diskFix(err) ?? `make the folder writable for the syncdesk user, or set ${key} to one that is`);
  }
}

/** What of the folder every local user can read (the folder listed, its files), said in words; null for nothing. */
async function readableByOthers(dir: string): Promise<string | null> {
  const listed = ((await stat(dir)).mode & 0o005) === 0o005;
  let files = 0;
  for (const name of (await readdir(dir)).slice(0, 5_000)) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (s?.isFile() && s.mode & 0o004) files++;
  }
  if (!listed && !files) return null;
  return [listed ? 'the folder' : null, files ? `${files} file(s) in it` : null].filter(Boolean).join(' and ');
}
