import { maskUrlUserinfo } from '../redact.ts';
import type { Config } from '../../schemas/config.schema.ts';
import { SECRET_PATHS } from '../config.ts';
import { skip, type CheckResult } from './check.ts';
import { checkConfig } from './config-check.ts';
import { probeDesk } from '../ticket/sinks/index.ts';
import { checkGraph, type GraphProbeFactory } from './graph-check.ts';
import { checkGraphMail } from './graph-mail-check.ts';
import { checkImap } from './imap-check.ts';
import { checkForests } from './forest-check.ts';
import { checkOnPrem } from './onprem-check.ts';
import { checkProxy } from './proxy-check.ts';
import { checkRedis } from './redis-check.ts';
import { checkScaleOut } from './scale-out-check.ts';
import { checkSnapshots } from './snapshot-check.ts';
import { checkWritableDir } from './store-check.ts';

/**
 * `syncdesk doctor`: every check in turn (config first: without a valid one the rest are
 * skipped). Details are scrubbed of every configured secret before anyone sees them.
 */

export interface DoctorOptions {
  env?: Record<string, string | undefined>;
  /** Per network call. @defaultValue 15000 */
  timeoutMs?: number;
  /** Graph access (tests inject a fake's); defaults to @azure/identity + the Graph client. */
  graphProbe?: GraphProbeFactory;
}

export interface DoctorReport {
  ok: boolean;
  results: CheckResult[];
}

function secretValues(config: Config): string[] {
  const out: string[] = [];
  for (const path of SECRET_PATHS) {
    let node: unknown = config;
    for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node === 'string' && node.length >= 3) out.push(node);
  }
  // a password inside REDIS_URL
  const pw = config.redis.url ? /\/\/(?:[^:@/]*):([^@/]+)@/.exec(config.redis.url)?.[1] : undefined;
  if (pw) out.push(pw, decodeURIComponent(pw));
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

export function redactResults(results: CheckResult[], secrets: string[]): CheckResult[] {
  const scrub = (s: string | undefined) => (s === undefined ? s : maskUrlUserinfo(secrets.reduce((acc, secret) => acc.split(secret).join('***'), s)));
  return results.map((r) => ({ ...r, detail: scrub(r.detail)!, ...(r.fix !== undefined ? { fix: scrub(r.fix) } : {}) }));
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const { result, config } = checkConfig(env);
  if (!config) {
    const skipped = ['redis', 'scale-out', 'imap', 'graph', 'desk', 'mail store'].map((c) => skip(c, 'not checked: the configuration is invalid'));
    const results = [...result, ...skipped];
    return { ok: false, results };
  }
  const [redis, scaleOut, imap, graphMail, graph, desk, store, onprem] = await Promise.all([
    checkRedis(config, Math.min(timeoutMs, 5_000)),
    checkScaleOut(config, Math.min(timeoutMs, 5_000)),
    checkImap(config, { timeoutMs }),
    checkGraphMail(config, { timeoutMs }),
    checkGraph(config, { timeoutMs, probe: options.graphProbe, env }),
    probeDesk(config, timeoutMs),
    checkWritableDir('mail store', config.ingest.storeDir, 'MAIL_STORE_DIR (ingest.storeDir)'),
    checkOnPrem(config, { timeoutMs }),
  ]);
  const results = redactResults(
    [...result, ...checkProxy(env), redis, scaleOut, ...imap, ...graphMail, ...graph, ...checkSnapshots(config), ...desk, store, ...onprem, ...checkForests(config, env)],
    secretValues(config),
  );
  return { ok: results.every((r) => r.ok), results };
}

const MARK: Record<CheckResult['status'], string> = { pass: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** The table: check, status, detail; the fix on its own line under a failing or warning row. */
export function formatReport(report: DoctorReport, width = 100): string {
  const nameWidth = Math.max(5, ...report.results.map((r) => r.check.length));
  const pad = nameWidth + 2 + 6 + 2;
  const detailWidth = Math.max(30, width - pad);
  const out: string[] = [`${'CHECK'.padEnd(nameWidth)}  ${'STATUS'}  DETAIL / HOW TO FIX`];
  for (const r of report.results) {
    const detail = wrap(r.detail, detailWidth);
    out.push(`${r.check.padEnd(nameWidth)}  ${MARK[r.status].padEnd(6)}  ${detail[0]}`);
    for (const more of detail.slice(1)) out.push(`${' '.repeat(pad)}${more}`);
    if (r.fix && r.status !== 'pass') {
      const fix = wrap(`fix: ${r.fix}`, detailWidth);
      for (const l of fix) out.push(`${' '.repeat(pad)}${l}`);
    }
  }
  const failed = report.results.filter((r) => r.status === 'fail').length;
  const warned = report.results.filter((r) => r.status === 'warn').length;
  out.push('');
  out.push(report.ok ? `All checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.` : `${failed} check${failed > 1 ? 's' : ''} failed${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}.`);
  return `${out.join('\n')}\n`;
}
