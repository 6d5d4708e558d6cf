import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { schemaPaths, suggest } from './schema-keys.ts';

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
export function parseConfigText(text: string, schema: z.core.$ZodType): ConfigFileResult {
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
export function readConfigFile(path: string, schema: z.core.$ZodType): ConfigFileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { data: {}, problems: [`cannot read the config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`] };
  }
  return parseConfigText(text, schema);
}
