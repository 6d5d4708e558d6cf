import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.ts';
import { createQueues, type Queues } from '../../src/queues.ts';
import { queueCounts, waitForDrain } from '../../src/app/queue-drain.ts';
import { queuePrefix } from '../../src/redis/connection.ts';
import { services } from '../helpers/services.ts';

/**
 * What the end-to-end tests share: `syncdesk` run as a child process the way a user runs it,
 * an IMAP admin connection to put mail in and read flags, and an RT reader with its own
 * axios client (assertions never go through the adapter under test).
 */

export const unique = (): string => randomUUID().slice(0, 8);

export async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `node bin/syncdesk.js <args>` to completion. A command still running after `timeoutMs`
 * is killed (code null) before the test's own 120 s run out, so a hang fails with its output.
 */
export function syncdesk(args: string[], env: Record<string, string>, timeoutMs = 100_000): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/syncdesk.js', ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

export interface Daemon {
  child: ChildProcess;
  log(): string;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Starts a long-running command (`start`, `listen`, `worker`) and waits for its ready line. */
export async function daemon(args: string[], env: Record<string, string>, ready: string, timeoutMs = 30_000): Promise<Daemon> {
  const child = spawn(process.execPath, ['bin/syncdesk.js', ...args], { env: childEnv({ LOG_LEVEL: 'info', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(`syncdesk ${args[0]} to be ready (${ready})`, () => {
    if (child.exitCode !== null) throw new Error(`syncdesk ${args.join(' ')} exited ${child.exitCode}:\n${log}`);
    return log.includes(ready);
  }, timeoutMs);
  return {
    child,
    log: () => log,
    async stop(stopTimeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The env every syncdesk child of one test gets: the test services, its own prefix and folders. */
export function baseEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const s = services();
  const env: Record<string, string> = {
    REDIS_URL: s.REDIS_URL!,
    REDIS_PREFIX: `e2e${unique()}`,
    IMAP_HOST: s.IMAP_HOST!,
    IMAP_PORT: s.IMAP_PORT!,
    IMAP_SECURE: 'false',
    IMAP_USER: s.IMAP_USER!,
    IMAP_PASSWORD: s.IMAP_PASSWORD!,
    // Dovecot offers STARTTLS with a self-signed certificate: trust it as a user would
    IMAP_TLS_CA: s.IMAP_TLS_CA!,
    TRUST_POLICY: 'off',
    MAIL_STORE_DIR: `${dir}/mail`,
    TICKET_DIR: `${dir}/tickets`,
    NO_COLOR: '1',
    ...extra,
  };
  return env;
}

/** The environment of a syncdesk child: a user's shell (no vitest variables) plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(out)) if (k.startsWith('VITEST')) delete out[k];
  return { ...out, ...env };
}

export function rtEnv(): Record<string, string> {
  const s = services();
  return { TICKET_SINK: 'rt', RT_URL: s.RT_URL!, RT_TOKEN: s.RT_TOKEN!, RT_QUEUE: s.RT_QUEUE!, RT_KEY_FIELD: s.RT_DEDUP_CF! };
}

// ------------------------------------------------------------------ IMAP

export { imapAdmin } from '../helpers/imap.ts';

/** uid → flags of every message in the mailbox. */
export async function flagsIn(c: ImapFlow, mailbox: string): Promise<Array<{ uid: number; messageId: string; flags: string[] }>> {
  const lock = await c.getMailboxLock(mailbox);
  try {
    const out: Array<{ uid: number; messageId: string; flags: string[] }> = [];
    if (!(c.mailbox && c.mailbox.exists)) return out;
    for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true })) {
      out.push({ uid: m.uid, messageId: m.envelope?.messageId ?? '', flags: [...(m.flags ?? [])] });
    }
    return out;
  } finally {
    lock.release();
  }
}

// ------------------------------------------------------------------ queues

/**
 * The queues of the syncdesk children run with REDIS_PREFIX=`prefix`, under the key prefix
 * syncdesk itself derives from it (`<prefix>:q`): watching the bare prefix sees empty queues
 * and reports "drained" at once, before any job has run.
 */
function pipelineQueues(client: Redis, prefix: string): Queues {
  const redis = loadConfig({ REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix }).redis;
  return createQueues(client, queuePrefix(redis));
}

/**
 * Waits until the pipeline of `prefix` has nothing waiting, running or delayed. Every caller
 * has queued work first, so queues that never held a job are the wrong queues, not drained ones.
 */
export async function drained(prefix: string, timeoutMs = 60_000): Promise<void> {
  const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
  const queues = pipelineQueues(client, prefix);
  try {
    if (!(await waitForDrain(queues, { timeoutMs }))) throw new Error(`queues of ${prefix} not drained in ${timeoutMs} ms`);
    const seen = Object.values(await queueCounts(queues)).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    if (seen === 0) throw new Error(`queues of ${prefix} (key prefix ${queues.prefix}) never held a job: not where syncdesk queues its work`);
  } finally {
    await queues.close();
    client.disconnect();
  }
}

export async function failedJobs(prefix: string): Promise<number> {
  const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
  const queues = pipelineQueues(client, prefix);
  try {
    let n = 0;
    for (const q of [queues.poll, queues.resolve, queues.ticket]) n += await q.getFailedCount();
    return n;
  } finally {
    await queues.close();
    client.disconnect();
  }
}

// ------------------------------------------------------------------ RT

export interface RtTicketView {
  id: string;
  subject: string;
  status: string;
  key: string | undefined;
  /** Transaction ids and types, oldest first. */
  transactions: Array<{ id: string; type: string }>;
  /** The create content (first attachment with content). */
  body: string;
}

export function rtClient(): AxiosInstance {
  const s = services();
  return axios.create({ baseURL: s.RT_REST2_URL, headers: { Authorization: `token ${s.RT_TOKEN}` } });
}

/** Ticket ids in the test queue whose subject contains `marker` (any status, deleted too). */
export async function rtTicketIds(rt: AxiosInstance, marker: string): Promise<string[]> {
  const s = services();
  const query = `Queue = '${s.RT_QUEUE}' AND Subject LIKE '${marker.replace(/'/g, "\\'")}' AND (Status = '__Active__' OR Status = '__Inactive__')`;
  const res = await rt.get('/tickets', { params: { query, per_page: 100, orderby: 'id', order: 'ASC' } });
  return (res.data.items as Array<{ id: string | number }>).map((i) => String(i.id));
}

export async function rtTicket(rt: AxiosInstance, id: string): Promise<RtTicketView> {
  const s = services();
  const t = await rt.get(`/ticket/${id}`);
  const history = await rt.get(`/ticket/${id}/history`, { params: { fields: 'Type', per_page: 100 } });
  const atts = await rt.get(`/ticket/${id}/attachments`, { params: { fields: 'Content,ContentType', per_page: 100 } });
  const cf = (t.data.CustomFields as Array<{ name: string; values: string[] }> | undefined)?.find((f) => f.name === s.RT_DEDUP_CF);
  const body = (atts.data.items as Array<{ Content?: string }>).map((a) => a.Content ?? '').find((c) => c.length > 0) ?? '';
  return {
    id: String(t.data.id),
    subject: t.data.Subject as string,
    status: t.data.Status as string,
    key: cf?.values[0],
    transactions: (history.data.items as Array<{ id: string | number; Type: string }>).map((h) => ({ id: String(h.id), type: h.Type })),
    body,
  };
}

export async function rtTickets(rt: AxiosInstance, marker: string): Promise<RtTicketView[]> {
  const ids = await rtTicketIds(rt, marker);
  return Promise.all(ids.map((id) => rtTicket(rt, id)));
}

/** What must not change when nothing happened: ids, statuses, subjects and every transaction. */
export function rtSnapshot(tickets: RtTicketView[]): Record<string, { status: string; subject: string; transactions: string[] }> {
  return Object.fromEntries(tickets.map((t) => [t.id, { status: t.status, subject: t.subject, transactions: t.transactions.map((x) => `${x.id}:${x.type}`) }]));
}
