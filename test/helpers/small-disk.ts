import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../prove/helpers.ts';

/**
 * A real tmpfs of 256 KiB (the tests run as root): `fill()` leaves it a few KiB free, `free()`
 * gives the space back, `unmount()` removes it.
 */
export function smallDisk(name: string): { path: string; fill: () => void; free: () => void; unmount: () => void } {
  const path = tempDir(name);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', path]);
  const filler = join(path, 'filler');
  const block = Buffer.alloc(4096, 0x61);
  const fill = (): void => {
    for (let i = 0; ; i++) {
      try {
        writeFileSync(filler, block, { flag: i ? 'a' : 'w' });
      } catch {
        return;
      }
    }
  };
  return { path, fill, free: () => rmSync(filler, { force: true }), unmount: () => execFileSync('umount', [path]) };
}
