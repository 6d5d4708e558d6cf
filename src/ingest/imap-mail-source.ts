import { readFileSync } from 'node:fs';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { graphSignInGaps, type Config } from '../../schemas/config.schema.ts';
import { exchangeScope } from '../clouds.ts';
import type { Logger } from '../logger.ts';
import { createGraphCredential, tenantEndpoints } from '../resolve/graph-credential.ts';
import { singleTenant } from '../resolve/tenant-client.ts';
import type { FetchedMail, MailConnection, MailSource, MailboxState, MarkResult } from './mail-source.ts';

/**
 * The imapflow adapter of MailSource. Every `connect()` builds a new ImapFlow (an
 * instance cannot reconnect), attaches its `error` handler before connecting (an
 * unhandled `error` event kills the process), and, for OAuth2, gets a new access token.
 *
 * TLS is on by default (`imap.secure`); with `secure: false` STARTTLS is required, so a
 * password never crosses the network in clear. `imap.tlsCa` names a PEM file to trust.
 */

export type AccessTokenProvider = () => Promise<string>;

export interface ImapMailSourceOptions {
  logger: Logger;
  /** Mailbox to watch (defaults to `config.imap.mailbox`). */
  mailbox?: string;
  /** OAuth2 token source; defaults to ClientSecretCredential over the `graph.*` app credentials. */
  getAccessToken?: AccessTokenProvider;
  /** Builds the client (tests wrap the real ImapFlow). */
  createClient?: (options: ImapFlowOptions) => ImapFlow;
  /** Extra ImapFlow options (timeouts, autoIdleDelay, maxIdleTime, disableAutoIdle). */
  clientOptions?: Partial<ImapFlowOptions>;
}

/**
 * Exchange Online app-only IMAP (client credentials) with the GRAPH_* app, in GRAPH_CLOUD: its
 * sign-in host and its Exchange resource (a GCC High app's secret went to the
 * global sign-in host for a global token). The token lives about an hour.
 */
function defaultAccessTokenProvider(config: Config): AccessTokenProvider {
  const app = singleTenant(config.graph);
  if (!app) throw new Error(`IMAP_AUTH=oauth2 signs in as the GRAPH_* app (with IMAP.AccessAsApp): ${graphSignInGaps(config.graph).join(', ')} missing`);
  const credential = createGraphCredential(app, tenantEndpoints({}, config.graph), config.graph.timeoutSeconds * 1000);
  return async () => {
    const token = await credential.getToken(exchangeScope(config.graph.cloud));
    if (!token?.token) throw new Error('no access token for IMAP from Entra ID');
    return token.token;
  };
}

/** ImapFlow options for this config: TLS, CA, auth. Shared with the replay reader. */
export async function imapClientOptions(
  config: Config,
  logger: Logger,
  getAccessToken?: AccessTokenProvider,
): Promise<ImapFlowOptions> {
  const imap = config.imap;
  if (!imap.host || !imap.user) throw new Error('IMAP_HOST and IMAP_USER are required to read a mailbox');
  const auth =
    imap.auth === 'oauth2'
      ? { user: imap.user, accessToken: await (getAccessToken ?? defaultAccessTokenProvider(config))() }
      : { user: imap.user, pass: imap.password ?? '' };
  return {
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    doSTARTTLS: imap.secure ? undefined : true,
    servername: imap.host === '127.0.0.1' || imap.host === '::1' ? 'localhost' : imap.host,
    tls: imap.tlsCa ? { ca: readFileSync(imap.tlsCa) } : {},
    ...(imap.proxy && { proxy: imap.proxy }),
    auth,
    logger: logger as unknown as ImapFlowOptions['logger'],
    clientInfo: { name: 'syncdesk' },
  };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/**
 * What imapflow logs through: `log` without the `cid` imapflow writes into most of its
 * entries, which `log` binds already (pino would write the key twice, and a JSON reader
 * keeps one of them).
 */
function imapflowLogger(log: Logger): ImapFlowOptions['logger'] {
  const at = (level: (typeof LEVELS)[number]) => (entry: unknown, ...rest: unknown[]) => {
    if (!log.isLevelEnabled(level)) return;
    if (entry && typeof entry === 'object' && 'cid' in entry) {
      const { cid: _bound, ...own } = entry as Record<string, unknown>;
      entry = own;
    }
    (log[level] as (...args: unknown[]) => void)(entry, ...rest);
  };
  return Object.fromEntries(LEVELS.map((level) => [level, at(level)])) as unknown as ImapFlowOptions['logger'];
}

function asDate(value: Date | string | undefined): Date {
  if (value instanceof Date) return value;
  return value ? new Date(value) : new Date();
}

export function createImapMailSource(config: Config, options: ImapMailSourceOptions): MailSource {
  const mailbox = options.mailbox ?? config.imap.mailbox;
  const keyword = config.imap.keyword;
  const processedFolder = config.imap.processedFolder;
  let sessions = 0;

  return {
    async connect(): Promise<MailConnection> {
      const cid = `imap-${++sessions}`;
      const log = options.logger.child({ component: 'imap', cid, mailbox });
      const base = await imapClientOptions(config, log, options.getAccessToken);
      const client = (options.createClient ?? ((o) => new ImapFlow(o)))({
        autoIdleDelay: 1000,
        maxIdleTime: 5 * 60_000,
        missingIdleCommand: 'NOOP',
        ...base,
        ...options.clientOptions,
        id: cid,
        logger: imapflowLogger(log),
      });
      let lastError: Error | null = null;
      let resolveClosed!: (err: Error | null) => void;
      const closed = new Promise<Error | null>((r) => (resolveClosed = r));
      const existsListeners: Array<() => void> = [];
      client.on('error', (err: Error) => {
        lastError = err;
        log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'imap connection error');
      });
      client.on('close', () => resolveClosed(lastError));
      client.on('exists', (ev: { path: string; count: number; prevCount: number }) => {
        if (ev.path === mailbox && ev.count > ev.prevCount) for (const l of existsListeners) l();
      });
      try {
        await client.connect();
        await client.mailboxOpen(mailbox);
      } catch (err) {
        client.close();
        throw err;
      }

      const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
        const lock = await client.getMailboxLock(mailbox);
        try {
          return await fn();
        } finally {
          lock.release();
        }
      };
      const alive = (what: string): void => {
        if (!client.usable) throw new Error(`IMAP connection lost during ${what}`);
      };
      const sorted = (uids: number[] | false | undefined, after = 0): number[] =>
        (uids || []).filter((u) => u > after).sort((a, b) => a - b);
      let processedReady = false;

      return {
        idleSupported: client.capabilities.has('IDLE'),
        closed,
        onExists: (l) => void existsListeners.push(l),

        refresh: (reselect = false) =>
          withLock(async (): Promise<MailboxState> => {
            // a SELECT of the selected mailbox deselects it without expunging (RFC 3501 6.3.1)
            if (reselect) await client.mailboxOpen(mailbox);
            else await client.noop();
            alive(reselect ? 'SELECT' : 'NOOP');
            const box = client.mailbox;
            if (!box) throw new Error(`mailbox ${mailbox} is not selected`);
            return {
              uidValidity: String(box.uidValidity),
              exists: box.exists,
              keywordsSupported: box.permanentFlags?.has('\\*') ?? false,
            };
          }),

        uidsAfter: (afterUid) =>
          withLock(async () => {
            const res = await client.search({ uid: `${afterUid + 1}:*` }, { uid: true });
            alive('SEARCH');
            return sorted(res, afterUid);
          }),

        unmarkedUids: () =>
          withLock(async () => {
            const keep = client.mailbox && client.mailbox.permanentFlags?.has('\\*');
            const res = await client.search(keep ? { unKeyword: keyword } : { all: true }, { uid: true });
            alive('SEARCH');
            return sorted(res);
          }),

        fetch: (uids) =>
          withLock(async () => {
            if (!uids.length) return [];
            const out: FetchedMail[] = [];
            for await (const m of client.fetch(uids.join(','), { uid: true, source: true, internalDate: true }, { uid: true })) {
              if (m.source) out.push({ uid: m.uid, source: m.source, internalDate: asDate(m.internalDate) });
            }
            alive('FETCH');
            return out.sort((a, b) => a.uid - b.uid);
          }),

        markHandled: (uids) =>
          withLock(async (): Promise<MarkResult> => {
            if (!uids.length) return 'none';
            const range = uids.join(',');
            if (client.mailbox && client.mailbox.permanentFlags?.has('\\*')) {
              if (await client.messageFlagsAdd(range, [keyword], { uid: true })) return 'keyword';
              alive('STORE');
              log.warn({ keyword }, 'keyword not stored although PERMANENTFLAGS has \\*, moving instead');
            }
            if (!processedReady) {
              await client.mailboxCreate(processedFolder).catch((err: Error) => log.debug({ err: err.message }, 'mailboxCreate'));
              processedReady = true;
            }
            const moved = await client.messageMove(range, processedFolder, { uid: true });
            alive('MOVE');
            if (!moved) throw new Error(`could not move handled mail to ${processedFolder}`);
            return 'moved';
          }),

        async close() {
          if (!client.usable) {
            client.close();
            return;
          }
          await Promise.race([client.logout().catch(() => client.close()), new Promise((r) => setTimeout(r, 2000))]);
          client.close();
        },
      };
    },
  };
}
