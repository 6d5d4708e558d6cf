import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { TransientError } from './errors.ts';

/**
 * Write-then-rename, so a crash never leaves a half-written file under the final name. A write
 * that fails removes its temporary file: a full disk left one per attempt.
 */
export async function writeAtomic(path: string, data: Buffer | string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** What to do about a folder the disk refuses to write to, by the error's code. */
const DISK_FIX: Record<string, string> = {
  ENOSPC: 'free space on its disk; syncdesk retries',
  EDQUOT: "raise the syncdesk user's disk quota, or free space in it; syncdesk retries",
  EROFS: 'its file system is mounted read-only: mount it read-write, or set the folder to one that is',
};

/**
 * A full or read-only disk said with the folder and its setting named, and what to do
 * ("ENOSPC: no space left on device, write" named neither); retried, as freeing
 * the disk is all it takes. Other errors as they are.
 */
export function diskTrouble(err: unknown, folder: string, setting: string): unknown {
  const fix = diskFix(err);
  if (!fix) return err;
  return new TransientError(`${setting} ${folder}: ${(err as Error).message} (${fix})`, (err as NodeJS.ErrnoException).code, undefined, { cause: err });
}

/** DISK_FIX's advice for an error, or null: doctor's checks say it too. */
export function diskFix(err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code && DISK_FIX[code]) || null;
}
