import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CONFIG_ENV, ConfigSchema, type Config } from '../schemas/config.schema.ts';
import { readConfigFile, type Env } from './config-file.ts';
import { editDistance, innerSchema } from './schema-keys.ts';
import { otherCloudsHost } from './clouds.ts';


interface KeySource {
  path: string;
  env: string;
  secret: boolean;
}

/** Every key the schema gives an environment variable (`CONFIG_ENV`), with its config path. */
function keySources(schema: z.core.$ZodType, path: string[] = []): KeySource[] {
  // defaults, optionals and transforms wrap the field: the registration may sit inside them
  for (let node: z.core.$ZodType | null = schema; node; node = innerSchema(node)) {
    const meta = CONFIG_ENV.get(node as z.ZodType);
    if (meta) return [{ path: path.join('.'), env: meta.env, secret: meta.secret === true }];
    const def = node._zod.def as { type: string; shape?: Record<string, z.core.$ZodType> };
    if (def.type === 'object') return Object.entries(def.shape!).flatMap(([key, child]) => keySources(child, [...path, key]));
  }
  return [];
}

const SOURCES = keySources(ConfigSchema);

/**
 * The environment variable behind each config path (`RT_URL` → `ticket.rt.url`), as the
 * schema declares it. Every key here can also be given as `<KEY>_FILE`.
 */
export const ENV_KEYS: Readonly<Record<string, string>> = Object.fromEntries(SOURCES.map((k) => [k.env, k.path]));

/** What syncdesk reads from the environment besides its keys: which file, which runtime. */
const OTHER_NAMES = new Set(['SYNCDESK_CONFIG', 'SYNCDESK_RUNTIME']);

/**
 * Environment variables that look like a misspelt key (`TICKETS_DIR` for TICKET_DIR,
 * `ADMIN_PASSWORD_FLE`, `SHUTDOWN_TIMEOUT`): no key, nor a key's `_FILE`, but close to one or the start of one. Ignored without a
 * word, such a typo left its setting at the default while doctor said all was well.
 */
export function misspeltEnv(env: Env): Array<{ name: string; near: string }> {
  const known = Object.keys(ENV_KEYS).flatMap((k) => [k, `${k}_FILE`]);
  const keys = new Set(known);
  return Object.keys(env)
    .filter((name) => /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(name) && !keys.has(name) && !OTHER_NAMES.has(name))
    .flatMap((name) => {
      // one letter off, or a key cut short (SHUTDOWN_TIMEOUT for SHUTDOWN_TIMEOUT_SECONDS): closer
      // likenesses are as often another program's variables (AD_URL is no misspelt RT_URL)
      const near = known.find((k) => editDistance(name, k) <= 1) ?? known.find((k) => k.startsWith(`${name}_`) && !k.endsWith('_FILE'));
      return near ? [{ name, near }] : [];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Paths whose values are secrets: the logger redacts them and `doctor` never prints them. */
export const SECRET_PATHS: readonly string[] = SOURCES.filter((k) => k.secret).map((k) => k.path);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` laid on `base`, section by section: a file's `ingest:` keeps the defaults it does not name. */
function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeInto(out[key], value) : value;
  return out;
}

/** Where a config path's problem is named: the file key and its variable (`ticket.rt.url (RT_URL)`). */
function describePath(path: string): string {
  const key = PATH_TO_KEY.get(path);
  return key ? `${path} (${key})` : path || '(root)';
}

const PATH_TO_KEY = new Map<string, string>(Object.entries(ENV_KEYS).map(([key, path]) => [path, key]));

/** The environment variable of a config path (`ticket.rt.url` → `RT_URL`), else the path itself. */
export function envNameOf(path: string): string {
  return PATH_TO_KEY.get(path) ?? path;
}

export interface LoadConfigOptions {
  /**
   * A YAML config file (`syncdesk.yaml`) read first; environment variables and overrides
   * win over its values. Unknown keys in it are errors. Null/absent: environment only.
   */
  file?: string | null;
  /**
   * Config paths → values that replace the schema's defaults for this command only: the
   * file, the environment and `overrides` all win over them (an admin's choice stands).
   */
  defaults?: Record<string, unknown>;
}

/** Reads `KEY`, or the trimmed contents of the file named by `KEY_FILE` (empty: unset): settings, and the tenants file's `clientSecretEnv`. */
export function readEnvValue(env: Env, key: string): string | undefined {
  const direct = env[key];
  if (direct !== undefined && direct !== '') return direct;
  const file = env[`${key}_FILE`];
  if (!file) return undefined;
  try {
    // an empty secret file counts as unset, like an empty variable (compose mounts one file for every desk)
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    throw new ConfigError([`${key}_FILE: cannot read ${file} (${(err as Error).message})`]);
  }
}

/**
 * Builds and validates the configuration: the config file if given, then the environment
 * (and `<KEY>_FILE` secrets), then `overrides` (config paths → values). Throws a
 * ConfigError naming every bad key both ways (`ticket.rt.url (RT_URL): Invalid URL`).
 */
export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}, options: LoadConfigOptions = {}): Config {
  let input: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(options.defaults ?? {})) setPath(input, path, value);
  if (options.file) {
    const file = readConfigFile(options.file, ConfigSchema);
    if (file.problems.length) throw new ConfigError(file.problems.map((p) => `${options.file}: ${p}`));
    input = mergeInto(input, file.data);
  }
  for (const [key, path] of Object.entries(ENV_KEYS)) {
    const value = readEnvValue(env, key);
    if (value !== undefined) setPath(input, path, value);
  }
  for (const [path, value] of Object.entries(overrides)) {
    if (value !== undefined) setPath(input, path, value);
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${describePath(issue.path.join('.'))}: ${issue.message}`));
  }
  const { graph, imap } = parsed.data;
  const crossed = otherCloudsHost(graph.cloud, { ...graph, exchangeHost: imap.auth === 'oauth2' ? imap.host : undefined });
  if (crossed) throw new ConfigError([`${describePath('graph.cloud')}: ${crossed}; set the cloud the tenant is in, or leave GRAPH_BASE_URL, GRAPH_AUTHORITY_HOST (and IMAP_HOST) to that cloud's`]);
  return parsed.data;
}
