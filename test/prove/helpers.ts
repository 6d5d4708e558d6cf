import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { toReportRef } from '../../src/parse/report-ref.ts';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { services } from '../helpers/services.ts';

/**
 * Shared pieces of the proof suites (test/prove/*.int.test.ts): sizes from the
 * environment, polling, CLI child processes, the expected problems of a report and what
 * the real RT holds for them.
 */

/** A size parameter: `PROVE_ERRORS=500` etc.; the small default is the CI version. */
export function param(name: string, ciDefault: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return ciDefault;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy; every loop here is bounded in time. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `syncdesk-prove-${tag}-`));
}

/** A fresh REDIS_PREFIX / tenant / mailbox suffix. */
export function uid(): string {
  return randomUUID().slice(0, 8);
}

/** Environment for a syncdesk process on the test services, with the real RT as desk. */
export function rtEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const s = services();
  return {
    REDIS_URL: s.REDIS_URL!,
    REDIS_PREFIX: `p${uid()}`,
    MAIL_STORE_DIR: join(dir, 'mail'),
    TICKET_SINK: 'rt',
    RT_URL: s.RT_URL!,
    RT_TOKEN: s.RT_TOKEN!,
    RT_QUEUE: s.RT_QUEUE!,
    RT_KEY_FIELD: s.RT_DEDUP_CF!,
    TRUST_POLICY: 'off',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** A `node bin/syncdesk.js …` child with its output captured. */
export interface CliChild {
  proc: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output(): string;
  exited(): boolean;
  /** Resolves when the output contains `text`. */
  waitFor(text: string | RegExp, timeoutMs: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnCli(args: string[], env: Record<string, string | undefined>, options: { extraNodeEnv?: NodeJS.ProcessEnv } = {}): CliChild {
  // ADMIN_PORT 0 unless a test asks: several processes at once must not fight over the default port
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ADMIN_PORT: '0', ...options.extraNodeEnv, ...env };
  for (const key of Object.keys(childEnv)) if (key.startsWith('VITEST')) delete childEnv[key];
  const proc = spawn(process.execPath, ['bin/syncdesk.js', ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    output: () => out,
    exited,
    async waitFor(text, timeoutMs) {
      await until(
        `"${String(text)}" from syncdesk ${args.join(' ')}`,
        async () => {
          if (exited() && !(typeof text === 'string' ? out.includes(text) : text.test(out))) {
            throw new Error(`syncdesk ${args.join(' ')} exited (${proc.exitCode ?? proc.signalCode}) before "${String(text)}":\n${out.slice(-3000)}`);
          }
          return typeof text === 'string' ? out.includes(text) : text.test(out);
        },
        timeoutMs,
        50,
      );
    },
    async kill(signal = 'SIGKILL') {
      if (exited()) return;
      proc.kill(signal);
      await Promise.race([gone, sleep(20_000)]);
    },
  };
}

/** Runs a CLI command to its end; resolves with its exit code and output. */
export async function runCli(args: string[], env: Record<string, string | undefined>, options: { extraNodeEnv?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; output: string }> {
  const child = spawnCli(args, env, options);
  await until(`syncdesk ${args.join(' ')} to exit`, async () => child.exited(), options.timeoutMs ?? 60_000, 50);
  await sleep(50); // last output chunks
  return { code: child.proc.exitCode, output: child.output() };
}

export interface ExpectedProblem {
  key: string;
  /** The attribute value (or identity) the ticket's summary must name. */
  value: string;
  identity: string | null;
}

/**
 * The problems a mail carries, keyed by correlation key, as the pipeline will see them.
 * Pass the runtime's `reportRef` when the config names tenants (Graph configured: by id).
 */
export async function expectedProblems(raw: Buffer, reportRef: typeof toReportRef = toReportRef): Promise<Map<string, ExpectedProblem>> {
  const outcome = await parseMail(raw);
  if (!outcome.ok) throw new Error(`the test mail does not parse: ${outcome.rejection.detail}`);
  const out = new Map<string, ExpectedProblem>();
  for (const report of outcome.reports) {
    const ref = reportRef(report, { mailId: null, receivedAt: new Date(), envelopeFrom: null });
    for (const e of report.errors) {
      const key = correlationKey(ref.tenantKey, e);
      out.set(key, { key, value: e.attributes.find((a) => a.value)?.value ?? e.identity ?? e.message, identity: e.identity });
    }
  }
  return out;
}

export interface RtTicket {
  id: string;
  Subject: string;
  Status: string;
  key: string;
}

export function rtClient(): AxiosInstance {
  const s = services();
  return axios.create({ baseURL: s.RT_REST2_URL, headers: { Authorization: `token ${s.RT_TOKEN}` }, timeout: 30_000 });
}

/** Every RT ticket (any status but deleted) whose key field holds one of `keys`. */
export async function rtTicketsFor(keys: string[]): Promise<Map<string, RtTicket[]>> {
  const rt = rtClient();
  const cf = services().RT_DEDUP_CF!;
  const out = new Map<string, RtTicket[]>(keys.map((k) => [k, []]));
  let i = 0;
  const worker = async () => {
    while (i < keys.length) {
      const key = keys[i++]!;
      const res = await rt.get('/tickets', { params: { query: `'CF.{${cf}}' = '${key}'`, fields: 'Subject,Status', per_page: 100 } });
      for (const t of res.data.items as Array<{ id: string | number; Subject: string; Status: string }>)
        out.get(key)!.push({ id: String(t.id), Subject: t.Subject, Status: t.Status, key });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

/** Problems without exactly one ticket, or whose ticket does not name the problem. */
export function ticketProblems(expected: Map<string, ExpectedProblem>, found: Map<string, Array<{ id: string; summary: string }>>): string[] {
  const bad: string[] = [];
  for (const [key, p] of expected) {
    const tickets = found.get(key) ?? [];
    if (tickets.length !== 1) bad.push(`${p.value}: ${tickets.length} tickets (${tickets.map((t) => t.id).join(', ')})`);
    else if (!tickets[0]!.summary.toLowerCase().includes(p.value.toLowerCase())) bad.push(`${p.value}: ticket ${tickets[0]!.id} is about something else: ${tickets[0]!.summary}`);
  }
  return bad;
}

export function rtFound(map: Map<string, RtTicket[]>): Map<string, Array<{ id: string; summary: string }>> {
  return new Map([...map].map(([k, ts]) => [k, ts.map((t) => ({ id: t.id, summary: t.Subject }))]));
}

/** A queue's job counts for `states`, each a number (0 when BullMQ leaves it out). */
export async function jobCounts<S extends string>(queue: { getJobCounts(...types: never[]): Promise<Record<string, number>> }, ...states: S[]): Promise<Record<S, number>> {
  const c = await (queue.getJobCounts as (...t: string[]) => Promise<Record<string, number>>)(...states);
  return Object.fromEntries(states.map((s) => [s, c[s] ?? 0])) as Record<S, number>;
}
