import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorText, fail, pass, type CheckResult } from './check.ts';

/** A folder syncdesk writes to exists (or can be made) and takes a file. */
export async function checkWritableDir(check: string, dir: string, key: string): Promise<CheckResult> {
  const abs = resolve(dir);
  const probe = join(abs, `.doctor-${randomUUID()}`);
  try {
    await mkdir(abs, { recursive: true });
    await writeFile(probe, 'syncdesk doctor\n');
    await rm(probe, { force: true });
    return pass(check, `${abs} is writable`);
  } catch (err) {
    return fail(check, `${abs}: ${errorText(err)}`, `make the folder writable for the syncdesk user, or set ${key} to one that is`);
  }
}
