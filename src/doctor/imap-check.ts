import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Config } from '../../schemas/config.schema.ts';
import { imapErrorText } from '../ingest/imap-error.ts';
import { imapClientOptions, type AccessTokenProvider } from '../ingest/imap-mail-source.ts';
import { cloudLabel, environmentNames } from '../clouds.ts';
import { createLogger } from '../logger.ts';
import { maskUrlUserinfo } from '../redact.ts';
import { errorText, fail, isUnreachable, pass, skip, warn, withTimeout, type CheckResult } from './check.ts';
import { configuredSignIn, tokenFix } from './graph-check.ts';

/**
 * IMAP: the login, the watched mailbox, and how handled mails will be marked: with a
 * custom keyword when the server keeps them (Dovecot), else by a move to the processed
 * folder (Exchange Online keeps no custom keywords).
 */

function loginFix(config: Config, err: unknown, env: Record<string, string | undefined>): string {
  const text = errorText(err);
  const said = `${(err as { code?: string })?.code ?? ''} ${text}`;
  const { host, port, proxy } = config.imap;
  // no token at all: the sign-in failed, which neither the IMAP host nor the app's Exchange permissions explain
  if (config.imap.auth === 'oauth2' && (/AADSTS\d+/.test(said) || /^SignInHost/.test((err as { code?: string })?.code ?? ''))) {
    return tokenFix(err, configuredSignIn(config.graph));
  }
  // imapflow's own connect timeout, and ours around it, say the same as a refused connection
  const unreachable = isUnreachable(err) || /CONNECT_TIMEOUT|timed out/i.test(said);
  if (proxy && (unreachable || /proxy/i.test(said))) {
    return `check IMAP_PROXY (imap.proxy ${maskUrlUserinfo(proxy)}): is it up, and does it let ${host}:${port} through? Then IMAP_HOST and IMAP_PORT`;
  }
  // a host that reaches the internet through a proxy: HTTPS_PROXY carries HTTPS only, IMAP needs its own
  const envProxy = env.HTTPS_PROXY ?? env.https_proxy;
  if (unreachable && envProxy) {
    return `check IMAP_HOST and IMAP_PORT (imap.host ${host}, imap.port ${port}); IMAP does not go through HTTPS_PROXY: if ${host} is reached only through the proxy, set IMAP_PROXY (imap.proxy) to it (${maskUrlUserinfo(envProxy)}, if it tunnels with CONNECT)`;
  }
  if (config.imap.auth === 'oauth2') {
    // in a national cloud, Connect-ExchangeOnline reaches the global cloud unless told
    const cloud = config.graph.cloud;
    const connect = cloud === 'global' ? '' : `, in the ${cloudLabel(cloud)} cloud (Connect-ExchangeOnline -ExchangeEnvironmentName ${environmentNames(cloud).exo})`;
    return `OAuth2 (IMAP_AUTH=oauth2): the app needs the Office 365 Exchange Online permission IMAP.AccessAsApp with admin consent, a service principal in Exchange (New-ServicePrincipal) and FullAccess on the mailbox (Add-MailboxPermission)${connect}`;
  }
  if (unreachable) return `check IMAP_HOST and IMAP_PORT (imap.host ${host}, imap.port ${port}) and the firewall`;
  if (/certificate|self.signed|CERT_|unable to verify|altnames/i.test(text)) return 'the server certificate is not trusted: set IMAP_TLS_CA (imap.tlsCa) to the CA file, or fix the certificate';
  if (/wrong version number|EPROTO|SSL routines/i.test(text)) return 'TLS mismatch: IMAP_SECURE=true is for implicit TLS (port 993); use IMAP_SECURE=false with port 143 (STARTTLS)';
  return 'check IMAP_USER and IMAP_PASSWORD (imap.user, imap.password); for Exchange Online use IMAP_AUTH=oauth2';
}

export async function checkImap(
  config: Config,
  options: { timeoutMs?: number; getAccessToken?: AccessTokenProvider; env?: Record<string, string | undefined> } = {},
): Promise<CheckResult[]> {
  const imap = config.imap;
  const env = options.env ?? process.env;
  if (!imap.host) {
    // with MAIL_SOURCE=graph the Graph listener reads the mailbox (its own row says how it does)
    const how = config.ingest.mailSource === 'graph' ? 'mails come in through the Graph mailbox (MAIL_SOURCE=graph)' : 'mails come in only through syncdesk replay';
    return [skip('imap', `not configured (IMAP_HOST unset): ${how}`)];
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  let base: ImapFlowOptions;
  try {
    base = await withTimeout(imapClientOptions(config, createLogger({ level: 'silent' }), options.getAccessToken), timeoutMs, 'imap token');
  } catch (err) {
    return [fail('imap login', `${imap.user}@${imap.host}: cannot prepare the login (${errorText(err)})`, loginFix(config, err, env))];
  }
  const client = new ImapFlow({ ...base, logger: false, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, disableAutoIdle: true });
  client.on('error', () => {
    // the failing call reports it
  });
  const who = `${imap.user}@${imap.host}:${imap.port}${imap.proxy ? ` through ${maskUrlUserinfo(imap.proxy)}` : ''}`;
  try {
    try {
      await withTimeout(client.connect(), timeoutMs, 'imap login');
    } catch (err) {
      const why = imapErrorText(err);
      return [fail('imap login', `${who}: ${why}`, loginFix(config, err, env))];
    }
    const results: CheckResult[] = [pass('imap login', `${who} (${imap.auth}, ${imap.secure ? 'TLS' : 'STARTTLS'})`)];
    const folders = await withTimeout(client.list(), timeoutMs, 'imap list');
    const names = folders.map((f) => f.path);
    const has = (name: string) => names.some((n) => n === name || (name.toUpperCase() === 'INBOX' && n.toUpperCase() === 'INBOX'));
    if (!has(imap.mailbox)) {
      results.push(
        fail('imap mailbox', `no mailbox '${imap.mailbox}' (there are: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`, 'create the mailbox, or set IMAP_MAILBOX (imap.mailbox) to one listed'),
      );
      return results;
    }
    // selected, not examined: a read-only mailbox lists no PERMANENTFLAGS (RFC 3501), so every
    // server would look like one that keeps no keywords (blind test 18: Dovecot, which keeps them)
    const box = await withTimeout(client.mailboxOpen(imap.mailbox), timeoutMs, 'imap select');
    results.push(pass('imap mailbox', `'${imap.mailbox}': ${box.exists} messages`));
    if (box.permanentFlags?.has('\\*')) {
      results.push(pass('imap marking', `server keeps custom keywords: handled mails get ${imap.keyword}`));
    } else if (has(imap.processedFolder)) {
      results.push(pass('imap marking', `no custom keywords on this server: handled mails move to '${imap.processedFolder}' (exists)`));
    } else {
      results.push(
        warn(
          'imap marking',
          `no custom keywords on this server, and the processed folder '${imap.processedFolder}' does not exist yet`,
          `create folder '${imap.processedFolder}' (syncdesk tries to create it on the first move, which needs the right to create folders), or set IMAP_PROCESSED_FOLDER (imap.processedFolder)`,
        ),
      );
    }
    return results;
  } catch (err) {
    return [fail('imap mailbox', `${who}: ${errorText(err)}`, 'check IMAP_MAILBOX (imap.mailbox) and the account rights on it')];
  } finally {
    try {
      await withTimeout(client.logout(), 3_000, 'imap logout');
    } catch {
      client.close();
    }
  }
}
