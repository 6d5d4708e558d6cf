import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncdesk } from '../e2e/helpers.ts';
import { reportMail } from '../e2e/report-mail.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { smallDisk } from '../helpers/small-disk.ts';
import { uid } from '../prove/helpers.ts';
import { replayEnv } from './replay-env.ts';

/**
 * A replay whose ticket folder is on a full disk (a real tmpfs of 256 KiB, filled) stops at
 * the first report that meets it, saying why and what to do, instead of waiting out every
 * report's retries, minutes each (blind54 E3). Run again once space is freed, it finishes:
 * each problem one ticket.
 */

const id = uid();
let disk: ReturnType<typeof smallDisk>;
let env: Record<string, string>;
let dir: string;
let drop: () => Promise<void>;

beforeAll(() => {
  disk = smallDisk('replay-full-disk');
  ({ dir, env, drop } = replayEnv(`fd${id}`, { TICKET_DIR: join(disk.path, 'tickets') }));
  mkdirSync(env.TICKET_DIR!);
});
afterAll(async () => {
  await drop();
  disk.unmount();
});

function mail(name: string, day: number): string {
  const domain = `${name}${id}.example`;
  const rows = [0, 1, 2].map((n) => ({ object: `${name}${n}@${domain}`, duplicates: [['UserPrincipalName', `${name}${n}@${domain}`]] as Array<[string, string]>, onPremisesObjectId: `${name}${n}-anchor` }));
  const path = join(dir, `${name}.eml`);
  writeFileSync(path, reportMail({ tenant: domain, domain, coversAt: new Date(Date.UTC(2026, 2, day, 6, 30)), rows, messageId: `<${name}-${id}@microsoftonline.com>` }));
  return path;
}

describe('replay onto a full ticket disk', () => {
  it('stops at the first report the disk refuses, says so, and finishes when run again after space is freed', async () => {
    const mails = [mail('anna', 2), mail('ben', 3), mail('cleo', 4)];
    disk.fill();
    const first = await syncdesk(['replay', '--json', '--wait', ...mails], env);
    expect(first.code).toBe(1);
    const stopped = JSON.parse(first.stdout) as { stopped?: string; mails: unknown[] };
    expect(stopped.stopped).toMatch(new RegExp(`TICKET_DIR ${env.TICKET_DIR}: ENOSPC.*free space on its disk`));
    // the mails after the first were not taken: nothing of them is half done
    expect(stopped.mails).toHaveLength(1);

    disk.free();
    const again = await syncdesk(['replay', '--wait', ...mails], env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const summaries = readTickets(env.TICKET_DIR!).map((t) => t.summary.split(' — ')[0]!.split('] ')[1]);
    expect(summaries.sort()).toEqual(['anna', 'ben', 'cleo'].flatMap((n) => [0, 1, 2].map((k) => `${n}${k}@${n}${id}.example`)).sort());
  }, 180_000);
});
