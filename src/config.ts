import { readFileSync } from 'node:fs';
import { ConfigSchema, type Config } from '../schemas/config.schema.ts';
import { readConfigFile } from './config-file.ts';

type Env = Record<string, string | undefined>;

/**
 * The environment variable behind each config path. Every key here can also be given
 * as `<KEY>_FILE`, naming a file that holds the value (Docker and Kubernetes secrets).
 */
export const ENV_KEYS = {
  LOG_LEVEL: 'logLevel',
  SHUTDOWN_TIMEOUT_SECONDS: 'shutdownTimeoutSeconds',
  REDIS_URL: 'redis.url',
  REDIS_PREFIX: 'redis.prefix',
  SYNCDESK_REDIS_DIR: 'redis.embeddedDir',
  REDIS_SENTINELS: 'redis.sentinels',
  REDIS_SENTINEL_NAME: 'redis.sentinelName',
  REDIS_CLUSTER_NODES: 'redis.clusterNodes',
  REDIS_PASSWORD: 'redis.password',
  IMAP_HOST: 'imap.host',
  IMAP_PORT: 'imap.port',
  IMAP_SECURE: 'imap.secure',
  IMAP_USER: 'imap.user',
  IMAP_PASSWORD: 'imap.password',
  IMAP_AUTH: 'imap.auth',
  IMAP_MAILBOX: 'imap.mailbox',
  IMAP_PROCESSED_FOLDER: 'imap.processedFolder',
  IMAP_TLS_CA: 'imap.tlsCa',
  IMAP_KEYWORD: 'imap.keyword',
  GRAPH_TENANT_ID: 'graph.tenantId',
  GRAPH_CLIENT_ID: 'graph.clientId',
  GRAPH_CLIENT_SECRET: 'graph.clientSecret',
  GRAPH_CERTIFICATE_PATH: 'graph.certificatePath',
  GRAPH_MANAGED_IDENTITY: 'graph.managedIdentity',
  GRAPH_CLOUD: 'graph.cloud',
  GRAPH_BASE_URL: 'graph.baseUrl',
  GRAPH_AUTHORITY_HOST: 'graph.authorityHost',
  GRAPH_CACHE_TTL_SECONDS: 'graph.cacheTtlSeconds',
  GRAPH_TENANTS_FILE: 'graph.tenantsFile',
  GRAPH_POLL_MINUTES: 'graph.pollMinutes',
  GRAPH_MAX_CONCURRENCY: 'graph.maxConcurrency',
  GRAPH_REQUESTS_PER_SECOND: 'graph.requestsPerSecond',
  SNAPSHOT_DIR: 'graph.snapshotDir',
  SNAPSHOT_MAX_AGE_DAYS: 'graph.snapshotMaxAgeDays',
  TICKET_SINK: 'ticket.sink',
  TICKET_DIR: 'ticket.fileDir',
  TICKET_REOPEN_WITHIN_DAYS: 'ticket.reopenWithinDays',
  TICKET_RESOLVE_AFTER_MISSING: 'ticket.resolveAfterMissing',
  TICKET_DIGEST: 'ticket.digest',
  RT_URL: 'ticket.rt.url',
  RT_TOKEN: 'ticket.rt.token',
  RT_QUEUE: 'ticket.rt.queue',
  RT_KEY_FIELD: 'ticket.rt.keyField',
  SERVICENOW_URL: 'ticket.servicenow.url',
  SERVICENOW_USER: 'ticket.servicenow.user',
  SERVICENOW_PASSWORD: 'ticket.servicenow.password',
  SERVICENOW_ASSIGNMENT_GROUP: 'ticket.servicenow.assignmentGroup',
  SERVICENOW_CLOSE_CODE: 'ticket.servicenow.closeCode',
  JIRA_URL: 'ticket.jira.url',
  JIRA_EMAIL: 'ticket.jira.email',
  JIRA_TOKEN: 'ticket.jira.token',
  JIRA_PROJECT: 'ticket.jira.project',
  JIRA_ISSUE_TYPE: 'ticket.jira.issueType',
  JIRA_RESOLVE_TRANSITIONS: 'ticket.jira.resolveTransitions',
  JIRA_REOPEN_TRANSITIONS: 'ticket.jira.reopenTransitions',
  JIRA_WONT_FIX_RESOLUTIONS: 'ticket.jira.wontFixResolutions',
  JIRA_LINK_TYPE: 'ticket.jira.linkType',
  JIRA_CLOSED_STATUSES: 'ticket.jira.closedStatuses',
  JIRA_RESOLUTION: 'ticket.jira.resolution',
  ZENDESK_URL: 'ticket.zendesk.url',
  ZENDESK_EMAIL: 'ticket.zendesk.email',
  ZENDESK_TOKEN: 'ticket.zendesk.token',
  ZENDESK_TAG: 'ticket.zendesk.tag',
  ZENDESK_WONT_FIX_TAG: 'ticket.zendesk.wontFixTag',
  ZENDESK_ASSIGNEE_EMAIL: 'ticket.zendesk.assigneeEmail',
  ZENDESK_GROUP_ID: 'ticket.zendesk.groupId',
  MAX_MAIL_BYTES: 'ingest.maxMailBytes',
  TRUST_POLICY: 'ingest.trustPolicy',
  ALLOWED_FORWARDERS: 'ingest.allowedForwarders',
  MAIL_STORE_DIR: 'ingest.storeDir',
  MAIL_RETENTION_DAYS: 'ingest.retentionDays',
  TRUSTED_AUTHSERV_IDS: 'ingest.trustedAuthServIds',
  MAIL_SOURCE: 'ingest.mailSource',
  GRAPH_MAILBOX: 'graphMail.mailbox',
  GRAPH_MAIL_FOLDER: 'graphMail.folder',
  GRAPH_PROCESSED_FOLDER: 'graphMail.processedFolder',
  GRAPH_MARK_CATEGORY: 'graphMail.markCategory',
  GRAPH_MAIL_POLL_SECONDS: 'graphMail.pollSeconds',
  GRAPH_MAIL_PAGE_SIZE: 'graphMail.pageSize',
  GRAPH_MAIL_CONCURRENCY: 'graphMail.maxConcurrency',
  ADMIN_HOST: 'admin.host',
  ADMIN_PORT: 'admin.port',
  ADMIN_USER: 'admin.user',
  ADMIN_PASSWORD: 'admin.password',
  ONPREM_URL: 'onprem.url',
  ONPREM_BIND_DN: 'onprem.bindDn',
  ONPREM_BIND_PASSWORD: 'onprem.bindPassword',
  ONPREM_BASE_DN: 'onprem.baseDn',
  ONPREM_ANCHOR_ATTRIBUTE: 'onprem.anchorAttribute',
  ONPREM_TLS_CA: 'onprem.tlsCa',
  ONPREM_TIMEOUT_MS: 'onprem.timeoutMs',
} as const;

/** Paths whose values are secrets: the logger redacts them and `doctor` never prints them. */
export const SECRET_PATHS = [
  'redis.password',
  'imap.password',
  'graph.clientSecret',
  'ticket.rt.token',
  'ticket.servicenow.password',
  'ticket.jira.token',
  'ticket.zendesk.token',
  'admin.password',
  'onprem.bindPassword',
] as const;

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

/** Where a config path's problem is named: the file key and its variable (`ticket.rt.url (RT_URL)`). */
export function describePath(path: string): string {
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
}

/** Reads `KEY`, or the trimmed contents of the file named by `KEY_FILE` (empty: unset). */
function readEnvValue(env: Env, key: string): string | undefined {
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
  let input: Record<string, unknown> = { redis: {}, imap: {}, graph: {}, ticket: {}, ingest: {} };
  if (options.file) {
    const file = readConfigFile(options.file, ConfigSchema);
    if (file.problems.length) throw new ConfigError(file.problems.map((p) => `${options.file}: ${p}`));
    input = { ...input, ...file.data };
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
  return parsed.data;
}
