import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Terminal escape sequences in a mail (a subject that retitles the window, a tenant and an
 * object name that recolour the screen, a sender with an 8-bit CSI and a DEL) are shown as
 * `\u001b`-style escapes wherever the text forms print them, and in the file desk's
 * Markdown; `--json` is left as it was. The commands run as an admin runs them, on the
 * embedded Redis in a folder of their own.
 */

const BIN = resolve('bin/syncdesk.js');
/** Any control character but tab and line feed. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const REPORT = [
  'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
  'To: it@contoso.com',
  'Subject: Directory Synchronization Error Report \u001b]0;SUBJ\u0007',
  'Date: Wed, 06 Sep 2017 06:04:51 +0000',
  'Message-ID: <esc-1@microsoftonline.com>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'The following errors occurred during synchronization for tenant Con\u001b[31mtoso.',
  '',
  'Object | Error | On-premises object ID',
  'ev\u001b[31mil\u001b]0;PWNED\u0007@contoso.com | Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName evil@contoso.com;]. Correct or remove the duplicate values in your local directory. | ZXZpbEFuY2hvcjEyMzQ1Ng==',
  '',
].join('\n');
/** The same report from a sender not trusted under TRUST_POLICY=strict: quarantined. */
const FROM_STRANGER = REPORT.replace(/^From: .*$/m, 'From: IT <it\u009b31m\u007f@contoso.com>').replace('esc-1@', 'esc-2@');

const OBJECT = 'ev\\u001b[31mil\\u001b]0;PWNED\\u0007@contoso.com';
const SENDER = 'it\\u009b31m\\u007f@contoso.com';

let dir: string;
function syncdesk(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDIS_URL: '', LOG_LEVEL: 'error', NO_COLOR: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdesk-escapes-'));
  writeFileSync(join(dir, 'report.eml'), REPORT);
  writeFileSync(join(dir, 'stranger.eml'), FROM_STRANGER);
});

describe('terminal escapes from a mail', () => {
  it('`parse` shows them escaped; `parse --json` keeps the text', () => {
    const text = syncdesk(['parse', 'report.eml']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(CONTROL);
    expect(text.stdout).toContain(`"Directory Synchronization Error Report \\u001b]0;SUBJ\\u0007"`);
    expect(text.stdout).toContain('Con\\u001b[31mtoso;');
    expect(text.stdout).toContain(OBJECT);

    const json = syncdesk(['parse', '--json', 'report.eml']);
    expect((JSON.parse(json.stdout) as Array<{ errors: Array<{ identity: string }> }>)[0]!.errors[0]!.identity).toBe('ev\u001b[31mil\u001b]0;PWNED\u0007@contoso.com');
  }, 60_000);
});

describe('terminal escapes from a mail, replayed', () => {
  it('`replay --dry-run` shows them escaped; `--json` keeps the text', () => {
    const text = syncdesk(['replay', '--dry-run', 'report.eml']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(CONTROL);
    expect(text.stdout).toContain(OBJECT);
    const json = syncdesk(['replay', '--dry-run', '--json', 'report.eml']);
    expect((JSON.parse(json.stdout) as { mails: Array<{ reports: Array<{ tenant: string }> }> }).mails[0]!.reports[0]!.tenant).toBe('con\u001b[31mtoso');
  }, 60_000);
});

describe('terminal escapes from a mail, once it was replayed', () => {
  beforeAll(() => {
    expect(syncdesk(['replay', 'report.eml']).status).toBe(0);
    expect(syncdesk(['replay', '--verify-senders', 'stranger.eml'], { TRUST_POLICY: 'strict' }).stdout).toContain('quarantined 1');
  }, 120_000);

  it("the file desk's Markdown shows them escaped", () => {
    const tickets = join(dir, '.syncdesk', 'tickets');
    const markdown = readdirSync(tickets)
      .filter((f) => f.endsWith('.md'))
      .map((f) => readFileSync(join(tickets, f), 'utf8'))
      .join('\n');
    expect(markdown).not.toMatch(CONTROL);
    expect(markdown).toContain('ev\\u001b\\[31mil\\u001b\\]0;PWNED\\u0007@contoso.com');
  });

  it('`status` shows them escaped', () => {
    const status = syncdesk(['status']);
    expect(status.stdout).not.toMatch(CONTROL);
    expect(status.stdout).toContain('con\\u001b[31mtoso: DuplicateAttribute 1');
    expect(status.stdout).toContain(`quarantined: sender ${SENDER} is not a known Microsoft sender`);
  }, 60_000);

  it('`failed list` shows them escaped (a report of no readable row is kept, its subject in the reason)', () => {
    const empty = REPORT.split('Object | Error')[0]!.replace('esc-1@', 'esc-3@');
    writeFileSync(join(dir, 'empty.eml'), empty);
    expect(syncdesk(['replay', 'empty.eml']).stdout).toContain('rejected 1');
    const failed = syncdesk(['failed', 'list']);
    expect(failed.stdout).not.toMatch(CONTROL);
    expect(failed.stdout).toContain('Directory Synchronization Error Report \\u001b]0;SUBJ\\u0007');
  }, 60_000);

  it('`quarantine list` shows them escaped', () => {
    const quarantine = syncdesk(['quarantine', 'list']);
    expect(quarantine.stdout).not.toMatch(CONTROL);
    expect(quarantine.stdout).toContain(`\t${SENDER}\tCon\\u001b[31mtoso\treplay-file\tsender ${SENDER} is not`);
  }, 60_000);
});
