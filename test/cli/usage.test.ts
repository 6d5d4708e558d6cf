import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Usage errors exit 2 with one line on stderr that names the fix; a failure of the work
 * itself exits 1. Run through the real bin, as an admin types it. None of these needs
 * Redis: a usage error is caught before anything is opened.
 */

const BIN = resolve('bin/syncdesk.js');

function syncdesk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // REDIS_URL to a closed port: a command that wrongly got as far as Redis would hang, not pass
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('usage errors', () => {
  it.each([
    { args: ['statsu'], line: /^syncdesk: unknown command 'statsu' \(Did you mean status\?\); see `syncdesk --help`$/ },
    { args: ['failed', 'list', '--jsn'], line: /^syncdesk failed list: unknown option '--jsn' \(Did you mean --json\?\); see `syncdesk failed list --help`$/ },
    { args: ['parse'], line: /^syncdesk parse: missing required argument 'inputs'; see `syncdesk parse --help`$/ },
    { args: ['snapshot', 'import'], line: /^syncdesk snapshot import: missing required argument 'file'/ },
    { args: ['quarantine', 'list', '--limit', 'many'], line: /^syncdesk quarantine list: option '--limit <n>' argument 'many' is invalid\. expected a whole number/ },
    { args: ['snapshot', 'import', 'x.csv', '--taken-at', 'notadate'], line: /argument 'notadate' is invalid\. expected a date/ },
    { args: ['snapshot', 'import', 'x.csv', '--type', 'printer'], line: /argument 'printer' is invalid\. Allowed choices are user, group, contact/ },
    { args: ['start', '--concurrency', '0'], line: /^syncdesk start: option '--concurrency <n>' argument '0' is invalid/ },
    { args: ['start', '--admin-port', '70000'], line: /expected a whole number from 0 to 65535/ },
    { args: ['doctor', '--timeout', 'soon'], line: /^syncdesk doctor: option '--timeout <seconds>'/ },
    { args: ['poll-graph', '--every', '-5'], line: /^syncdesk poll-graph: option '--every <minutes>'/ },
    { args: ['replay', '--imap', '--since', 'notadate'], line: /^syncdesk replay: option '--since <date>' argument 'notadate' is invalid\. expected a date/ },
    { args: ['replay', '--imap'], line: /^syncdesk replay: --imap needs --since DATE; see `syncdesk replay --help`$/ },
    { args: ['replay'], line: /^syncdesk replay: give files, folders or mbox files to replay/ },
    { args: ['replay', '--imap', '--since', '01/02/2026'], line: /argument '01\/02\/2026' is invalid\. expected a date such as 2026-03-01/ },
    { args: ['replay', '--imap', '--since', '2026-02-30'], line: /argument '2026-02-30' is invalid\. 2026-02-30 is not a day of the calendar/ },
    { args: ['replay', '--imap', '--since', '99999-01-01'], line: /argument '99999-01-01' is invalid\. expected a date/ },
    { args: ['replay', '--imap', '--since', '2026-03-01T08:00'], line: /argument '2026-03-01T08:00' is invalid\. expected a date such as 2026-03-01 or 2026-03-01T08:00:00Z/ },
    { args: ['replay', '--imap', '--since', '2026-06-30', '--until', '2026-01-01'], line: /^syncdesk replay: --until must be after --since/ },
    { args: ['replay', 'a.eml', '--since', '2026-01-01'], line: /^syncdesk replay: --since is for --imap or --graph; files are replayed whole/ },
    { args: ['replay', '--imap', '--since', '2026-01-01', '--folder', 'x'], line: /^syncdesk replay: --folder is for --graph/ },
    { args: ['demo', '--timeout', 'never'], line: /^syncdesk demo: option '--timeout <seconds>'/ },
    { args: ['worker', '--queues', 'parse,typo'], line: /^syncdesk worker: unknown queue\(s\) typo/ },
    { args: ['status', '--recent', 'all'], line: /^syncdesk status: option '--recent <n>'/ },
    { args: ['failed', 'retry'], line: /^syncdesk failed retry: give a job id \(from `syncdesk failed list`\) or --all; see `syncdesk failed retry --help`$/ },
    { args: ['failed', 'retry', 'abc', '--all'], line: /^syncdesk failed retry: give a job id or --all, not both/ },
    { args: ['failed', 'drop'], line: /^syncdesk failed drop: give a job or mail id \(from `syncdesk failed list`\) or --all; see `syncdesk failed drop --help`$/ },
    { args: ['quarantine', 'release'], line: /^syncdesk quarantine release: give a mail id \(from `syncdesk quarantine list`\) or --all; see `syncdesk quarantine release --help`$/ },
    { args: ['quarantine', 'release', 'abc', '--all'], line: /^syncdesk quarantine release: give a mail id or --all, not both/ },
    { args: ['worker', '--lock-duration', '30s'], line: /^syncdesk worker: option '--lock-duration <ms>'/ },
  ])('syncdesk $args: exit 2, one line naming the fix', ({ args, line }) => {
    const r = syncdesk(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(lines[0]).toMatch(/--help`$/);
  });

  it('a command group without its subcommand shows its help on stderr and exits 2', () => {
    const r = syncdesk('failed');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Usage: syncdesk failed \[options\] \[command\]/);
  });

  it('--help and --version exit 0', () => {
    expect(syncdesk('--help').status).toBe(0);
    expect(syncdesk('failed', 'retry', '--help').status).toBe(0);
    expect(syncdesk('--version').status).toBe(0);
  });

  it('a failure of the work exits 1, not 2', () => {
    const r = syncdesk('parse', resolve('package.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/rejected/);
  });
});
