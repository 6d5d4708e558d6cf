import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { imapAdminOf, imapTlsEnvOf } from '../test/helpers/imap-clients.ts';
import { freePorts } from '../test/helpers/ports.ts';

/** What the end-to-end benches share: the real services on loopback, `syncdesk start` as a child, its peak RSS. */

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(100);
  }
}

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** The most resident memory the process ever had (VmHWM), in MB. */
export const peakRssMb = (pid: number): number => statusMb(pid, 'VmHWM');

/** Its resident memory now, in MB. */
export const rssMb = (pid: number): number => statusMb(pid, 'VmRSS');

/** Redis, Dovecot and RT 5 in a temp state dir on free loopback ports (scripts/services.sh); `stop` removes them. */
export async function startServices(): Promise<{ env: Record<string, string>; stateDir: string; stop(): Promise<void> }> {
  const stateDir = mkdtempSync('/var/tmp/syncdesk-bench-');
  chmodSync(stateDir, 0o755); // Dovecot runs as its own user
  const [redis, imap, imaps, rt] = await freePorts(4);
  const stop = async () => {
    await run('bash', [join(ROOT, 'scripts/services.sh'), 'reset'], { env: { ...process.env, E2E_STATE_DIR: stateDir } }).catch((err: Error) => process.stderr.write(`services reset: ${err.message}\n`));
  };
  try {
    const { stdout } = await run('bash', [join(ROOT, 'scripts/services.sh'), 'up'], {
      env: { ...process.env, E2E_STATE_DIR: stateDir, E2E_REDIS_PORT: String(redis), E2E_IMAP_PORT: String(imap), E2E_IMAPS_PORT: String(imaps), E2E_RT_PORT: String(rt) },
      maxBuffer: 1 << 20,
    });
    const env: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const m = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line);
      if (m) env[m[1]!] = m[2]!.replace(/'\\''/g, "'");
    }
    return { env, stateDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `syncdesk start` as a child with `env` (no VITEST_* leaking in), once it says it started; its output's tail kept for errors. */
export async function startSyncdesk(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output(): string; alive(): void }> {
  const clean = { ...env };
  for (const k of Object.keys(clean)) if (k.startsWith('VITEST')) delete clean[k];
  const child = spawn(process.execPath, [join(ROOT, 'bin/syncdesk.js'), 'start'], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let started = false;
  const keep = (d: Buffer) => {
    const text = d.toString();
    started ||= text.includes('syncdesk started');
    out = (out + text).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const alive = () => {
    if (child.exitCode !== null) throw new Error(`syncdesk start exited:\n${out.slice(-2000)}`);
  };
  await until('syncdesk start', () => (alive(), started), 60_000);
  return { child, output: () => out, alive };
}

/** Stops a `syncdesk start` child and waits for it. */
export async function stopSyncdesk(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/**
 * A fresh mailbox `name` on the services' Dovecot, an admin session on it (to APPEND the
 * report), and what `syncdesk start` needs to listen there over IMAPS with Redis prefix and
 * mail store of its own (sender trust off, the default log level: its cost is part of the figures).
 */
export async function benchMailbox(services: { env: Record<string, string>; stateDir: string }, name: string): Promise<{ admin: ImapFlow; env: Record<string, string> }> {
  const admin = await imapAdminOf(services.env);
  await admin.mailboxCreate(name);
  const env = {
    REDIS_URL: services.env.REDIS_URL!,
    REDIS_PREFIX: name.replace(/[^a-z0-9]/gi, ''),
    MAIL_STORE_DIR: join(services.stateDir, `mail-${name}`),
    TRUST_POLICY: 'off',
    LOG_LEVEL: 'info',
    ADMIN_PORT: '0',
    ...imapTlsEnvOf(services.env),
    IMAP_MAILBOX: name,
    IMAP_PROCESSED_FOLDER: `${name}-done`,
    GRAPH_POLL_MINUTES: '0',
  };
  return { admin, env };
}
