import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `syncdesk --help` and `syncdesk <command> --help` answer at once: they need no Redis, no
 * mailbox and no Graph, and load none of the libraries the commands work with (each
 * command imports its implementation when it runs). Every module the process resolves is
 * recorded by a loader hook (test/helpers/record-imports.mjs).
 */

const BIN = resolve('bin/syncdesk.js');
const HOOK = resolve('test/helpers/record-imports.mjs');

/** Libraries a command uses at work; loading any of them for help is the slow path back. */
const HEAVY = ['bullmq', 'ioredis', 'imapflow', '@microsoft/microsoft-graph-client', '@azure/identity', 'mailparser', 'mailauth', 'axios', 'express', 'prom-client', 'pino', 'ldapts', 'zod', 'yaml', '@bull-board/api'];

function help(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const record = join(mkdtempSync(join(tmpdir(), 'syncdesk-help-')), 'imports.txt');
  // a Redis that is not there: help must not try it
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, RECORD_IMPORTS: record, REDIS_URL: 'redis://127.0.0.1:1', IMAP_HOST: '127.0.0.1' },
  });
  let urls: string[] = [];
  try {
    urls = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing recorded
  }
  const loaded = [...new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => !!p))];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

const COMMANDS = [
  ['parse'],
  ['demo'],
  ['start'],
  ['worker'],
  ['listen'],
  ['replay'],
  ['failed', 'list'],
  ['failed', 'retry'],
  ['quarantine', 'list'],
  ['quarantine', 'release'],
  ['status'],
  ['poll-graph'],
  ['doctor'],
  ['snapshot', 'export'],
  ['snapshot', 'import'],
];

describe('help', () => {
  it('syncdesk --help lists every command and loads no working library', () => {
    const r = help(['--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (const [name] of COMMANDS) expect(r.stdout).toContain(`  ${name!}`);
    expect(r.loaded.filter((p) => HEAVY.includes(p))).toEqual([]);
    expect(r.loaded).toContain('commander'); // the hook did record the process's imports
  });

  it.each(COMMANDS)('syncdesk %s … --help shows its options and loads no working library', (...args: string[]) => {
    const r = help([...args, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: syncdesk ${args.join(' ')}`);
    expect(r.loaded.filter((p) => HEAVY.includes(p))).toEqual([]);
  });
});
