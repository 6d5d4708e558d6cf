import { z } from 'zod';
import { PriorityLevelSchema } from './ticket.schema.ts';

/**
 * The whole configuration of syncdesk, one schema. `src/config.ts` builds the input
 * from the environment (and `<KEY>_FILE` secrets) and parses it here, so every bad
 * key is reported by name in one place.
 */

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])], { error: 'expected true or false (or 1 / 0, yes / no)' })
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** A list: a YAML sequence, or a comma-separated string (`Done,Resolve Issue`); trimmed, empty parts dropped. */
const listInput = z.union([z.string(), z.array(z.string())]);
const splitNames = (v: string | string[]) => (Array.isArray(v) ? v : v.split(',')).map((a) => a.trim()).filter(Boolean);
const nameList = (fallback: string) => listInput.default(fallback).transform(splitNames);
/** Like nameList, lower-cased (addresses, host names). */
const lowerList = () => listInput.default('').transform((v) => splitNames(v).map((a) => a.toLowerCase()));
/**
 * Where a Graph token is asked for or sent: https only, refused at load rather than when the
 * first token is needed (Entra ID's library refuses any other authority; a bearer token must
 * not cross the wire in clear). The tests' local Graph fakes serve https too.
 */
export const httpsUrl = z.string().url().regex(/^https:\/\//i, 'must start with https://');

/**
 * Where each key comes from besides the file: its environment variable (every one can also
 * be given as `<VAR>_FILE`, naming a file that holds the value: Docker and Kubernetes
 * secrets), and whether its value is a secret (redacted in logs, never printed by `doctor`).
 * `src/config.ts` reads this registry; nothing lists the variables a second time.
 */
export const CONFIG_ENV = z.registry<{ env: string; secret?: true }>();
const env = <T extends z.ZodType>(name: string, schema: T): T => (CONFIG_ENV.add(schema, { env: name }), schema);
const secret = <T extends z.ZodType>(name: string, schema: T): T => (CONFIG_ENV.add(schema, { env: name, secret: true }), schema);

export const RedisConfigSchema = z.object({
  /**
   * Absent: syncdesk starts a private redis-server of its own (the embedded default). ioredis
   * knows only redis:// and rediss://: it takes another scheme (`http://…`) for part of a
   * host name and retries that for ever. Sentinel and Cluster have keys of their own.
   */
  url: env(
    'REDIS_URL',
    z
      .string()
      .url()
      .regex(/^rediss?:\/\//i, 'must start with redis:// (rediss:// for TLS); Sentinel and Cluster nodes go in REDIS_SENTINELS, REDIS_CLUSTER_NODES')
      .optional(),
  ),
  /** Key prefix for queues and state, so several installs can share one Redis. */
  prefix: env('REDIS_PREFIX', z.string().min(1).default('syncdesk')),
  /** Where the embedded Redis keeps its data (append-only on). */
  embeddedDir: env('SYNCDESK_REDIS_DIR', z.string().default('.syncdesk/redis')),
  /** Redis Sentinel: `host:port,host:port`; with `sentinelName`, replaces `url`. */
  sentinels: env('REDIS_SENTINELS', z.string().optional()),
  /** Name of the master the sentinels watch (`mymaster`). */
  sentinelName: env('REDIS_SENTINEL_NAME', z.string().optional()),
  /** Redis Cluster: `host:port,host:port` seed nodes; replaces `url`. */
  clusterNodes: env('REDIS_CLUSTER_NODES', z.string().optional()),
  /** Password for Sentinel- or Cluster-managed Redis nodes (a plain `url` carries its own). */
  password: secret('REDIS_PASSWORD', z.string().optional()),
}).superRefine((v, ctx) => {
  if (v.sentinels && !v.sentinelName)
    ctx.addIssue({ code: 'custom', path: ['sentinelName'], message: 'REDIS_SENTINEL_NAME is required with REDIS_SENTINELS' });
  if (v.sentinels && v.clusterNodes)
    ctx.addIssue({ code: 'custom', path: ['clusterNodes'], message: 'REDIS_CLUSTER_NODES and REDIS_SENTINELS exclude each other' });
});

export const ImapConfigSchema = z
  .object({
    host: env('IMAP_HOST', z.string().min(1).optional()),
    port: env('IMAP_PORT', port.default(993)),
    secure: env('IMAP_SECURE', bool.default(true)),
    user: env('IMAP_USER', z.string().optional()),
    password: secret('IMAP_PASSWORD', z.string().optional()),
    auth: env('IMAP_AUTH', z.enum(['password', 'oauth2']).default('password')),
    mailbox: env('IMAP_MAILBOX', z.string().default('INBOX')),
    /** Folder a handled mail is moved to when the server keeps no custom keywords (Exchange). */
    processedFolder: env('IMAP_PROCESSED_FOLDER', z.string().default('Processed')),
    keyword: env('IMAP_KEYWORD', z.string().default('$SyncdeskHandled')),
    /** PEM file of a CA to trust (self-signed test servers). */
    tlsCa: env('IMAP_TLS_CA', z.string().optional()),
    /**
     * The proxy IMAP goes through (imapflow's: an HTTP CONNECT `http://` or `https://` proxy, or
     * SOCKS `socks5://`, `socks4a://`, `socks4://`): HTTPS_PROXY carries HTTPS only, and IMAP is
     * no HTTP. Like REDIS_URL, shown with its user and password masked.
     */
    proxy: env(
      'IMAP_PROXY',
      z
        .string()
        .url()
        .regex(/^(https?|socks|socks4a?|socks5):\/\//i, 'must start with http://, https://, socks5://, socks4a:// or socks4://')
        .optional(),
    ),
  })
  .superRefine((v, ctx) => {
    if (!v.host) return;
    if (!v.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'IMAP_USER is required when IMAP_HOST is set' });
    if (v.auth === 'password' && !v.password)
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'IMAP_PASSWORD is required with IMAP_AUTH=password' });
  });

/** Microsoft's clouds, each with its own Graph root and sign-in authority (src/resolve/graph-credential.ts). */
export const GRAPH_CLOUDS = ['global', 'usgov', 'usgovdod', 'china'] as const;
/**
 * Other names admins know a cloud by: Connect-MgGraph's `-Environment` (USGov, USGovDoD), the
 * Azure CLI's and MSAL's (AzureCloud, AzureChinaCloud), Microsoft 365's (GCC High, DoD).
 * Azure's AzureUSGovernment is both GCC High and DoD, whose Graph hosts differ, and M365
 * GCC (moderate) runs in the global cloud: neither is taken, the refusal says which to write.
 */
const CLOUD_ALIASES: Record<string, (typeof GRAPH_CLOUDS)[number]> = {
  azurecloud: 'global', azurepublic: 'global', azurepubliccloud: 'global', public: 'global', commercial: 'global',
  gcchigh: 'usgov', usgovgcchigh: 'usgov',
  dod: 'usgovdod', usgovernmentdod: 'usgovdod',
  azurechinacloud: 'china', azurechina: 'china', '21vianet': 'china',
};
export const GraphCloudSchema = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const key = v.trim().toLowerCase().replace(/[\s_-]+/g, '');
  return CLOUD_ALIASES[key] ?? (GRAPH_CLOUDS as readonly string[]).find((c) => c === key) ?? v;
}, z.enum(GRAPH_CLOUDS, { error: `expected one of ${GRAPH_CLOUDS.join(', ')} (M365 GCC is global, GCC High usgov, DoD usgovdod, 21Vianet china)` }));

export const GraphConfigSchema = z.object({
  tenantId: env('GRAPH_TENANT_ID', z.string().optional()),
  clientId: env('GRAPH_CLIENT_ID', z.string().optional()),
  clientSecret: secret('GRAPH_CLIENT_SECRET', z.string().optional()),
  certificatePath: env('GRAPH_CERTIFICATE_PATH', z.string().optional()),
  managedIdentity: env('GRAPH_MANAGED_IDENTITY', bool.default(false)),
  cloud: env('GRAPH_CLOUD', GraphCloudSchema.default('global')),
  baseUrl: env('GRAPH_BASE_URL', httpsUrl.optional()),
  authorityHost: env('GRAPH_AUTHORITY_HOST', httpsUrl.optional()),
  /** Seconds a lookup result stays in the Redis cache. */
  cacheTtlSeconds: env('GRAPH_CACHE_TTL_SECONDS', positiveInt.default(3600)),
  /** Path of the YAML/JSON file that maps report tenants to credentials (MSPs). */
  tenantsFile: env('GRAPH_TENANTS_FILE', z.string().optional()),
  /** Per tenant: `$batch` requests in flight at once. */
  maxConcurrency: env('GRAPH_MAX_CONCURRENCY', positiveInt.default(4)),
  /** How long one Graph request may go unanswered before it is given up and retried (a hung proxy or gateway). */
  timeoutSeconds: env('GRAPH_TIMEOUT_SECONDS', positiveInt.default(60)),
  /** Per tenant: `$batch` requests per second (token bucket), far below Graph's directory limits. */
  requestsPerSecond: env('GRAPH_REQUESTS_PER_SECOND', positiveInt.default(10)),
  /** Minutes between Graph polls for current sync errors, run by the `poll` worker (`syncdesk worker --queues poll`, or `start`) when Graph is configured (0: never). */
  pollMinutes: env('GRAPH_POLL_MINUTES', z.coerce.number().int().min(0).default(60)),
  /** Folder of directory snapshots (`syncdesk snapshot`), used for tenants Graph is not configured for. */
  snapshotDir: env('SNAPSHOT_DIR', z.string().default('.syncdesk/snapshots')),
  /** `doctor` warns when a tenant's newest snapshot is older than this. */
  snapshotMaxAgeDays: env('SNAPSHOT_MAX_AGE_DAYS', positiveInt.default(7)),
});

/**
 * What an app's sign-in lacks, for GRAPH_* variables and tenants-file entries alike: a managed
 * identity needs nothing more (no client id when system-assigned, no secret); an app needs
 * its client id and a secret or a certificate.
 */
export function appSignInGaps(s: { clientId?: string | undefined; secret?: string | undefined; certificatePath?: string | undefined; managedIdentity?: boolean | undefined }): Array<'clientId' | 'secret'> {
  if (s.managedIdentity) return [];
  return [...(s.clientId ? [] : (['clientId'] as const)), ...(s.secret || s.certificatePath ? [] : (['secret'] as const))];
}

/** What the GRAPH_* variables still lack to sign in as one tenant's app (empty: nothing). */
export function graphSignInGaps(g: z.infer<typeof GraphConfigSchema>): string[] {
  const names = { clientId: 'GRAPH_CLIENT_ID', secret: 'GRAPH_CLIENT_SECRET (or GRAPH_CERTIFICATE_PATH, or GRAPH_MANAGED_IDENTITY)' };
  return [...(g.tenantId ? [] : ['GRAPH_TENANT_ID']), ...appSignInGaps({ ...g, secret: g.clientSecret }).map((gap) => names[gap])];
}

/** Some GRAPH_* sign-in variables set, but not enough to sign in (and no tenants file): a slip, not a choice. */
export function graphPartlyConfigured(g: z.infer<typeof GraphConfigSchema>): boolean {
  const started = Boolean(g.tenantId || g.clientId || g.clientSecret || g.certificatePath || g.managedIdentity);
  return !g.tenantsFile && started && graphSignInGaps(g).length > 0;
}

/**
 * Reading the report mailbox through Microsoft Graph instead of IMAP (`ingest.mailSource: graph`),
 * signed in with the `graph.*` app credentials. Handled mail is moved to `processedFolder`
 * (default `Processed`) or, with `markCategory`, tagged with that category instead; both need
 * the application permission Mail.ReadWrite.
 */
export const GraphMailConfigSchema = z.object({
  /** The mailbox (UPN or SMTP address) the reports arrive in. */
  mailbox: env('GRAPH_MAILBOX', z.string().min(3).optional()),
  /** Folder to watch: a well-known name (`inbox`) or a display-name path (`Inbox/DirSync`). */
  folder: env('GRAPH_MAIL_FOLDER', z.string().min(1).default('Inbox')),
  /** Folder handled mail is moved to (created when missing); the default when no category is set. */
  processedFolder: env('GRAPH_PROCESSED_FOLDER', z.string().min(1).optional()),
  /** Tag handled mail with this category instead of moving it. */
  markCategory: env('GRAPH_MARK_CATEGORY', z.string().min(1).optional()),
  /** Seconds between delta polls of the folder. */
  pollSeconds: env('GRAPH_MAIL_POLL_SECONDS', positiveInt.default(60)),
  /** Messages per delta page (`Prefer: odata.maxpagesize`). */
  pageSize: env('GRAPH_MAIL_PAGE_SIZE', z.coerce.number().int().min(1).max(1000).default(50)),
  /** Requests in flight per mailbox; Exchange allows an app 4 at once per mailbox. */
  maxConcurrency: env('GRAPH_MAIL_CONCURRENCY', z.coerce.number().int().min(1).max(4).default(4)),
}).superRefine((v, ctx) => {
  if (v.processedFolder && v.markCategory)
    ctx.addIssue({ code: 'custom', path: ['markCategory'], message: 'GRAPH_MARK_CATEGORY and GRAPH_PROCESSED_FOLDER exclude each other: mark by category or move, not both' });
});

/** The folder the Graph mail source moves handled mail to (GRAPH_PROCESSED_FOLDER, else `Processed`); null when it tags them (GRAPH_MARK_CATEGORY). */
export function processedFolderOf(gm: Pick<z.infer<typeof GraphMailConfigSchema>, 'processedFolder' | 'markCategory'>): string | null {
  return gm.markCategory ? null : (gm.processedFolder ?? 'Processed');
}

/**
 * The settings each desk cannot work without. Optional in the schema (only the chosen desk
 * needs its own): the adapters refuse to start without them and `doctor` names the missing
 * ones, both from this list.
 */
export const DESK_REQUIRED = {
  rt: ['url', 'token'],
  servicenow: ['url', 'user', 'password'],
  jira: ['url', 'email', 'token', 'project'],
  zendesk: ['url', 'email', 'token'],
} as const;

/** `low=0,normal=50,high=100` (or a YAML map) → one value per priority level; levels left out keep their default. */
function levelMap<T extends z.ZodType>(value: T, fallback: string) {
  const pairs = (v: string | Record<string, unknown>): Record<string, unknown> =>
    typeof v !== 'string'
      ? v
      : Object.fromEntries(
          splitNames(v).map((p) => {
            const at = p.indexOf('=');
            return at < 0 ? [p.toLowerCase(), undefined] : [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim()];
          }),
        );
  return z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .optional()
    .transform((v) => ({ ...pairs(fallback), ...(v === undefined ? {} : pairs(v)) }))
    .pipe(z.strictObject({ low: value, normal: value, high: value, urgent: value }));
}

/**
 * How urgent a ticket is: a level per kind of problem (a tenant-wide stop such as "synchronization
 * has been stopped" or an exceeded quota, or one object's conflict), and how each desk writes a level.
 */
export const TicketPrioritySchema = z.object({
  /** Level of a problem that stops the tenant's sync (quota exceeded, synchronization stopped). */
  tenant: env('TICKET_PRIORITY_TENANT', PriorityLevelSchema.default('high')),
  /** Level of a problem of one object (a duplicate value, a bad attribute). */
  object: env('TICKET_PRIORITY_OBJECT', PriorityLevelSchema.default('normal')),
  /** RT's numeric Priority per level (RT 5 shows 0/50/100 as Low/Medium/High by default). */
  rt: env('RT_PRIORITIES', levelMap(z.coerce.number().int().min(0), 'low=0,normal=50,high=100,urgent=100')),
  /** ServiceNow impact per level (1 High, 2 Medium, 3 Low); the instance derives priority from impact and urgency. */
  servicenowImpact: env('SERVICENOW_IMPACTS', levelMap(z.coerce.number().int().min(1).max(3), 'low=3,normal=2,high=1,urgent=1')),
  /** ServiceNow urgency per level (1 High, 2 Medium, 3 Low): out of the box 1/2 gives priority 2 (High), 2/2 gives 3 (Moderate). */
  servicenowUrgency: env('SERVICENOW_URGENCIES', levelMap(z.coerce.number().int().min(1).max(3), 'low=3,normal=2,high=2,urgent=1')),
  /** Jira priority name per level (the project's priority scheme; a name the create screen does not offer is left out). */
  jira: env('JIRA_PRIORITIES', levelMap(z.string().min(1), 'low=Low,normal=Medium,high=High,urgent=Highest')),
});
export type TicketPriorityConfig = z.infer<typeof TicketPrioritySchema>;
/** The defaults, for adapters built without a configuration (tests, doctor). */
export const DEFAULT_TICKET_PRIORITY: TicketPriorityConfig = TicketPrioritySchema.parse({});

/** The original report mail on its tickets. */
export const TicketMailSchema = z.object({
  /** Attach the report mail to each ticket it creates, where the desk takes attachments and this host keeps the mail. */
  attach: env('TICKET_ATTACH_MAIL', bool.default(true)),
  /**
   * A mail larger than this is not attached; its place in the mail store is named instead.
   * The mail goes on every ticket of its report: 256 KiB (a few hundred errors) keeps a big
   * report from copying its mail onto each of its thousands of tickets.
   */
  maxBytes: env('TICKET_ATTACH_MAX_BYTES', positiveInt.default(256 * 1024)),
});

export const TicketConfigSchema = z.object({
  sink: env('TICKET_SINK', z.enum(['file', 'rt', 'servicenow', 'jira', 'zendesk']).default('file')),
  fileDir: env('TICKET_DIR', z.string().default('.syncdesk/tickets')),
  /** Reopen a resolved ticket when its problem returns within this many days; later, open a new linked one. */
  reopenWithinDays: env('TICKET_REOPEN_WITHIN_DAYS', positiveInt.default(30)),
  /**
   * How long syncdesk remembers a problem whose ticket is settled (resolved, closed, won't fix)
   * and that no report has named since: its state names the object and its holders, so it is
   * not kept for ever (0: kept for ever). Past it, the desk's own ticket is what a returning
   * problem finds, as after a lost Redis.
   */
  stateRetentionDays: env('TICKET_STATE_RETENTION_DAYS', z.coerce.number().int().min(0).default(400)),
  /** Resolve a ticket after this many newer reports of its tenant without its problem (0: never). */
  resolveAfterMissing: env('TICKET_RESOLVE_AFTER_MISSING', z.coerce.number().int().min(0).default(0)),
  /** One digest ticket per report instead of one per problem. */
  digest: env('TICKET_DIGEST', bool.default(false)),
  /** Requests in flight to the desk at first; more while it keeps up, fewer when it slows or pushes back (429, 503). */
  concurrency: env('TICKET_CONCURRENCY', positiveInt.default(4)),
  /** The most requests in flight to the desk, however well it keeps up. */
  maxConcurrency: env('TICKET_MAX_CONCURRENCY', positiveInt.default(16)),
  priority: TicketPrioritySchema.prefault({}),
  mail: TicketMailSchema.prefault({}),
  rt: z
    .object({
      url: env('RT_URL', z.string().url().optional()),
      token: secret('RT_TOKEN', z.string().optional()),
      queue: env('RT_QUEUE', z.string().default('General')),
      keyField: env('RT_KEY_FIELD', z.string().default('DedupKey')),
    })
    .prefault({}),
  servicenow: z
    .object({
      url: env('SERVICENOW_URL', z.string().url().optional()),
      user: env('SERVICENOW_USER', z.string().optional()),
      password: secret('SERVICENOW_PASSWORD', z.string().optional()),
      assignmentGroup: env('SERVICENOW_ASSIGNMENT_GROUP', z.string().optional()),
      /**
       * Resolution code sent with state 6; must be a value of the instance's close_code choice list
       * (`syncdesk doctor` checks). "Solved (Permanently)" is the pre-Tokyo value.
       */
      closeCode: env('SERVICENOW_CLOSE_CODE', z.string().min(1).default('Solution provided')),
    })
    .prefault({}),
  jira: z
    .object({
      url: env('JIRA_URL', z.string().url().optional()),
      email: env('JIRA_EMAIL', z.string().optional()),
      token: secret('JIRA_TOKEN', z.string().optional()),
      project: env('JIRA_PROJECT', z.string().optional()),
      issueType: env('JIRA_ISSUE_TYPE', z.string().default('Task')),
      /** Transition names tried in order to resolve, and to reopen (workflows differ per project; JSM: "Resolve this issue"). */
      resolveTransitions: env('JIRA_RESOLVE_TRANSITIONS', nameList('Done,Resolve Issue,Resolve this issue')),
      reopenTransitions: env('JIRA_REOPEN_TRANSITIONS', nameList('Reopen,Reopen Issue,To Do')),
      /** Resolution set when the resolve transition's screen has one; the first allowed value when this one is not offered. */
      resolution: env('JIRA_RESOLUTION', z.string().min(1).default('Done')),
      /** Resolution names a human sets to say "leave this alone". */
      wontFixResolutions: env('JIRA_WONT_FIX_RESOLUTIONS', nameList("Won't Fix,Won't Do")),
      /** Done-category statuses that are terminal: a returning problem gets a new, linked issue. */
      closedStatuses: env('JIRA_CLOSED_STATUSES', nameList('Closed')),
      /** Issue link type between a closed issue and its follow-up. */
      linkType: env('JIRA_LINK_TYPE', z.string().min(1).default('Relates')),
    })
    .prefault({}),
  zendesk: z
    .object({
      url: env('ZENDESK_URL', z.string().url().optional()),
      email: env('ZENDESK_EMAIL', z.string().optional()),
      token: secret('ZENDESK_TOKEN', z.string().optional()),
      /** Tag put on every ticket syncdesk creates (next to a per-key tag). */
      tag: env('ZENDESK_TAG', z.string().min(1).default('syncdesk')),
      /** A ticket carrying this tag is "won't fix": never reopened. */
      wontFixTag: env('ZENDESK_WONT_FIX_TAG', z.string().min(1).default('wont_fix')),
      /**
       * Agent assigned on create and on solve. Zendesk refuses to solve a ticket without an assignee
       * unless "Auto-assign tickets upon solve" is on and no field is required to solve.
       */
      assigneeEmail: env('ZENDESK_ASSIGNEE_EMAIL', z.string().email().optional()),
      /** Group the tickets are assigned to (its numeric id). */
      groupId: env('ZENDESK_GROUP_ID', positiveInt.optional()),
    })
    .prefault({}),
}).superRefine((v, ctx) => {
  if (v.stateRetentionDays > 0 && v.stateRetentionDays < v.reopenWithinDays)
    ctx.addIssue({ code: 'custom', path: ['stateRetentionDays'], message: `TICKET_STATE_RETENTION_DAYS (${v.stateRetentionDays}) is shorter than TICKET_REOPEN_WITHIN_DAYS (${v.reopenWithinDays}): a problem back within the reopen window would no longer be known; make it at least as long (0 keeps states for ever)` });
});

export const IngestConfigSchema = z.object({
  /** Mails larger than this are kept and rejected as too large, never parsed. */
  maxMailBytes: env('MAX_MAIL_BYTES', positiveInt.default(25 * 1024 * 1024)),
  /** Sender trust: `strict` needs DMARC/DKIM alignment with a Microsoft sender; `forwarders` also accepts the allow-list; `off` trusts every mail. */
  trustPolicy: env('TRUST_POLICY', z.enum(['strict', 'forwarders', 'off']).default('forwarders')),
  allowedForwarders: env('ALLOWED_FORWARDERS', lowerList()),
  /** Where raw mails are kept so any report can be re-run. */
  storeDir: env('MAIL_STORE_DIR', z.string().default('.syncdesk/mail')),
  retentionDays: env('MAIL_RETENTION_DAYS', positiveInt.default(90)),
  /** authserv-ids (and ARC sealers) of receiving servers whose Authentication-Results are believed, e.g. the org's MX. */
  trustedAuthServIds: env('TRUSTED_AUTHSERV_IDS', lowerList()),
  /** Where `listen`/`start` read the report mailbox: IMAP (`imap.*`) or Microsoft Graph (`graphMail.*`). */
  mailSource: env('MAIL_SOURCE', z.enum(['imap', 'graph']).default('imap')),
});

/** A forest's name in queue names (`onprem-<forest>`): BullMQ keys allow no `:`, and a slug reads well in `status`. */
export const forestName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'letters, digits and dashes (a forest name such as contoso or corp-fabrikam)')
  .transform((s) => s.toLowerCase());

/** The source anchor attributes by their name in any case. */
const ANCHOR_SPELLINGS: Record<string, string> = { objectguid: 'objectGUID', 'ms-ds-consistencyguid': 'ms-DS-ConsistencyGuid' };

/**
 * Active Directory over LDAP(S): the on-premises side of a conflict. Without url, no
 * on-premises lookups. With url alone, reports wait for an `onprem` worker elsewhere;
 * that worker's host sets the account (bindDn, bindPassword, baseDn) too. With forest, the
 * worker reads that one forest of several (an MSP's customers, named by `onpremForest` in
 * the tenants file), and only the reports of its tenants wait for it.
 */
export const OnPremConfigSchema = z
  .object({
    /** `ldaps://dc1.corp.example.com:636`, or a Global Catalog (`…:3269`) to search a whole forest. */
    url: env('ONPREM_URL', z.string().url().regex(/^ldaps?:\/\//i, 'must start with ldaps:// (or ldap://)').optional()),
    /** The read-only account's DN (`CN=syncdesk-reader,OU=Service,DC=corp,DC=example,DC=com`). */
    bindDn: env('ONPREM_BIND_DN', z.string().min(1).optional()),
    bindPassword: secret('ONPREM_BIND_PASSWORD', z.string().optional()),
    /** Where searches start (`DC=corp,DC=example,DC=com`). */
    baseDn: env('ONPREM_BASE_DN', z.string().min(1).optional()),
    /** The source anchor attribute of this forest's Entra Connect. */
    // any case: the schema spells it mS-DS-ConsistencyGuid, Microsoft's pages ms-DS-ConsistencyGuid
    anchorAttribute: env(
      'ONPREM_ANCHOR_ATTRIBUTE',
      z.preprocess((v) => (typeof v === 'string' ? ANCHOR_SPELLINGS[v.toLowerCase()] ?? v : v), z.enum(['objectGUID', 'ms-DS-ConsistencyGuid'])).default('objectGUID'),
    ),
    /** PEM file of the CA that signed the DC's LDAPS certificate. */
    tlsCa: env('ONPREM_TLS_CA', z.string().optional()),
    /** Bound on connecting and on each LDAP operation. */
    timeoutMs: env('ONPREM_TIMEOUT_MS', positiveInt.default(10_000)),
    /** The forest this host's account reads, as the tenants file's `onpremForest` names it (its own queue, `onprem-<forest>`). */
    forest: env('ONPREM_FOREST', forestName.optional()),
    /**
     * How long a report waits for an on-premises worker to take its reads (the worker host
     * down, a forest's worker never started) before its tickets go out with the cloud side
     * and say why; 0 waits for ever. Set where the resolve workers run.
     */
    waitSeconds: env('ONPREM_WAIT_SECONDS', z.coerce.number().int().min(0).default(1800)),
  })
  .superRefine((v, ctx) => {
    // ONPREM_URL alone: this host queues on-premises lookups for an `onprem` worker that holds the account
    const account = [['bindDn', 'ONPREM_BIND_DN'], ['bindPassword', 'ONPREM_BIND_PASSWORD'], ['baseDn', 'ONPREM_BASE_DN']] as const;
    if (!account.some(([key]) => v[key])) return;
    if (!v.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'ONPREM_URL is required with the on-premises account' });
    for (const [key, env] of account)
      if (!v[key]) ctx.addIssue({ code: 'custom', path: [key], message: `${env} is required with the other on-premises account keys` });
  });

export const AdminConfigSchema = z.object({
  /** Address the admin HTTP server (metrics, health, dashboard) binds to; loopback unless asked. */
  host: env('ADMIN_HOST', z.string().min(1).default('127.0.0.1')),
  /** Port of the admin HTTP server; 0 turns it off. */
  port: env('ADMIN_PORT', z.coerce.number().int().min(0).max(65535).default(9464)),
  /** User name for the queue dashboard (HTTP Basic). */
  user: env('ADMIN_USER', z.string().min(1).default('admin')),
  /** Password for the queue dashboard; without one the dashboard is off. */
  password: secret('ADMIN_PASSWORD', z.string().optional()),
});

export const ConfigSchema = z.object({
  logLevel: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  /** On SIGTERM, how long `start`, `worker` and `listen` wait for running jobs before exiting anyway (exit 1). */
  shutdownTimeoutSeconds: env('SHUTDOWN_TIMEOUT_SECONDS', z.coerce.number().positive().default(30)),
  redis: RedisConfigSchema.prefault({}),
  imap: ImapConfigSchema.prefault({}),
  graph: GraphConfigSchema.prefault({}),
  ticket: TicketConfigSchema.prefault({}),
  ingest: IngestConfigSchema.prefault({}),
  admin: AdminConfigSchema.prefault({}),
  graphMail: GraphMailConfigSchema.prefault({}),
  onprem: OnPremConfigSchema.prefault({}),
}).superRefine((v, ctx) => {
  if (v.ingest.mailSource !== 'graph') return;
  if (!v.graphMail.mailbox)
    ctx.addIssue({ code: 'custom', path: ['graphMail', 'mailbox'], message: 'GRAPH_MAILBOX is required with MAIL_SOURCE=graph' });
  if (graphSignInGaps(v.graph).length)
    ctx.addIssue({ code: 'custom', path: ['graph', 'tenantId'], message: 'MAIL_SOURCE=graph signs in with GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity' });
});
export type Config = z.infer<typeof ConfigSchema>;
