import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';

/**
 * The YAML configuration file (`syncdesk.yaml`). It has the structure of the config schema
 * (`redis:`, `imap:`, `graph:`, `ticket:`, `ingest:` …); environment variables override
 * its values. Reading it checks only what the schema cannot: YAML syntax, a mapping at
 * the top, and keys the schema does not know (the schema itself would drop them silently).
 */

const DEFAULT_CONFIG_FILE = 'syncdesk.yaml';

export type Env = Record<string, string | undefined>;

/**
 * Which file to read: `--config FILE` (the CLI puts it in SYNCDESK_CONFIG), else
 * SYNCDESK_CONFIG, else `./syncdesk.yaml` when it exists, else none.
 */
export function configFilePath(env: Env, cwd: string = process.cwd()): { path: string; explicit: boolean } | null {
  const named = env.SYNCDESK_CONFIG;
  if (named) return { path: resolve(cwd, named), explicit: true };
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? { path: fallback, explicit: false } : null;
}

type AnySchema = z.core.$ZodType;

/** The schema under defaults, optionals and transforms (what decides the accepted keys). */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

/** Every key path the schema accepts: `ticket.rt.url`, …, and the sections themselves. */
export function schemaPaths(schema: AnySchema, prefix = ''): Map<string, 'section' | 'value'> {
  const out = new Map<string, 'section' | 'value'>();
  const inner = unwrap(schema);
  const def = inner._zod.def as { type: string; shape?: Record<string, AnySchema> };
  if (def.type !== 'object' || !def.shape) return out;
  for (const [key, child] of Object.entries(def.shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const childDef = unwrap(child)._zod.def as { type: string };
    if (childDef.type === 'object') {
      out.set(path, 'section');
      for (const [p, kind] of schemaPaths(child, path)) out.set(p, kind);
    } else {
      out.set(path, 'value');
    }
  }
  return out;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known path closest to a misspelt one, if it is close enough to be a typo. */
export function suggest(path: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestScore = Infinity;
  const last = path.split('.').at(-1)!.toLowerCase();
  for (const k of known) {
    const score = Math.min(editDistance(path.toLowerCase(), k.toLowerCase()), editDistance(last, k.split('.').at(-1)!.toLowerCase()) + (k.split('.').length === path.split('.').length ? 0 : 2));
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best !== null && bestScore <= Math.max(2, Math.floor(last.length / 4)) ? best : null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops `key:` entries left empty (YAML null), so a blanked key means "not set", as in the example file. */
function dropNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    out[k] = isPlainObject(v) ? dropNulls(v) : v;
  }
  return out;
}

/** Problems with keys: unknown ones (with a likely meant one), and sections given as values or the reverse. */
function keyProblems(data: Record<string, unknown>, known: Map<string, 'section' | 'value'>, prefix = ''): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const kind = known.get(path);
    if (!kind) {
      const near = suggest(path, known.keys());
      problems.push(`${path}: unknown key${near ? ` (did you mean ${near}?)` : ''}`);
    } else if (kind === 'section') {
      if (isPlainObject(value)) problems.push(...keyProblems(value, known, path));
      else problems.push(`${path}: must be a section (a mapping of keys), not a value`);
    } else if (isPlainObject(value)) {
      problems.push(`${path}: must be a value, not a section`);
    }
  }
  return problems;
}

export interface ConfigFileResult {
  /** The file's settings, empty keys dropped. */
  data: Record<string, unknown>;
  /** What is wrong with it, each naming the key (`ticket.rt.urll: unknown key (did you mean ticket.rt.url?)`). */
  problems: string[];
}

/** Parses the text of a config file against the schema's keys (no value checks: the schema does those). */
export function parseConfigText(text: string, schema: AnySchema): ConfigFileResult {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    return {
      data: {},
      problems: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    };
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return { data: {}, problems: [] };
  if (!isPlainObject(value)) return { data: {}, problems: ['the file must be a mapping of sections (redis:, imap:, graph:, ticket:, ingest:)'] };
  const data = dropNulls(value);
  return { data, problems: keyProblems(data, schemaPaths(schema)) };
}

/** Reads and checks one config file; a missing or unreadable file is a problem, not an exception. */
export function readConfigFile(path: string, schema: AnySchema): ConfigFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { data: {}, problems: [`cannot read the config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`] };
  }
  return parseConfigText(text, schema);
}
