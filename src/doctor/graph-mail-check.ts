import { processedFolderOf, type Config } from '../../schemas/config.schema.ts';
import { PermanentError } from '../errors.ts';
import { graphMailboxFromConfig, type GraphMailbox } from '../ingest/graph-mailbox.ts';
import { createGraphCredential, tenantEndpoints } from '../resolve/graph-credential.ts';
import { singleTenant } from '../resolve/tenant-client.ts';
import { errorText, fail, pass, signInDeadline, skip, warn, withTimeout, type CheckResult } from './check.ts';
import { configuredSignIn, tokenFix } from './graph-check.ts';

/**
 * The Graph mail source (`MAIL_SOURCE=graph`): a token for the app, the application
 * permissions in it (the token's `roles` claim: both marking modes need Mail.ReadWrite —
 * moving a message and PATCHing its categories are write operations), then the mailbox
 * itself: Exchange answers 403 ErrorAccessDenied when the app's Exchange scope (RBAC for
 * Applications, or an application access policy) leaves the mailbox out, even though the
 * permission is in the token. The mailbox is read whatever the token says: RBAC for
 * Applications grants it with no role in the token. Each failure names its fix.
 */

export interface GraphMailProbe {
  /** An access token for Graph (the raw JWT). */
  token(): Promise<string>;
  mailbox: GraphMailbox;
}

function realGraphMailProbe(config: Config, timeoutMs: number): GraphMailProbe {
  const tenant = singleTenant(config.graph);
  if (!tenant) throw new PermanentError('GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity are needed', 'GraphMailConfig');
  const endpoints = tenantEndpoints({}, config.graph);
  const credential = createGraphCredential(tenant, endpoints, signInDeadline(timeoutMs));
  return {
    async token() {
      const t = await credential.getToken(endpoints.scope);
      if (!t?.token) throw new Error('Entra ID returned no access token');
      return t.token;
    },
    mailbox: graphMailboxFromConfig(config),
  };
}

/** The application permissions in an app-only token (`roles`), or null when it is not a readable JWT. */
function tokenRoles(token: string): string[] | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(payload.roles) ? payload.roles.map(String) : [];
  } catch {
    return null;
  }
}

/** How to let the app into exactly one mailbox, both ways Exchange Online offers. */
function scopeFix(mailbox: string, appId: string): string {
  return (
    `let the app into ${mailbox} in Exchange Online PowerShell: RBAC for Applications — ` +
    `New-ServicePrincipal -AppId ${appId} -ObjectId <enterprise app object id> -DisplayName syncdesk; ` +
    `New-ManagementScope -Name syncdesk-reports -RecipientRestrictionFilter "PrimarySmtpAddress -eq '${mailbox}'"; ` +
    `New-ManagementRoleAssignment -App ${appId} -Role "Application Mail.ReadWrite" -CustomResourceScope syncdesk-reports; ` +
    `check with Test-ServicePrincipalAuthorization -Identity ${appId} -Resource ${mailbox} — ` +
    `or, with an application access policy, add ${mailbox} to the mail-enabled security group the policy names ` +
    `(New-ApplicationAccessPolicy -AppId ${appId} -PolicyScopeGroupId <group> -AccessRight RestrictAccess; Test-ApplicationAccessPolicy -Identity ${mailbox} -AppId ${appId})`
  );
}

const PERMISSION_FIX =
  'in Entra ID, App registrations > the app > API permissions: add Microsoft Graph application permission Mail.ReadWrite and grant admin consent ' +
  '(Mail.Read cannot move messages nor set categories); then scope it to the report mailbox in Exchange Online (see README, "Exchange Online without IMAP: the mailbox through Microsoft Graph")';

export async function checkGraphMail(config: Config, options: { timeoutMs?: number; probe?: GraphMailProbe } = {}): Promise<CheckResult[]> {
  if (config.ingest.mailSource !== 'graph') return [skip('graph mail', 'not used (MAIL_SOURCE is imap)')];
  const timeoutMs = options.timeoutMs ?? 15_000;
  const gm = config.graphMail;
  const mailbox = gm.mailbox ?? '';
  const appId = config.graph.clientId ?? '<app id>';
  const name = `graph mail ${mailbox}`;
  let probe: GraphMailProbe;
  let token: string;
  try {
    probe = options.probe ?? realGraphMailProbe(config, timeoutMs);
    token = await withTimeout(probe.token(), timeoutMs, 'graph token');
  } catch (err) {
    return [fail(name, `no token (${errorText(err)})`, tokenFix(err, configuredSignIn(config.graph)))];
  }
  const roles = tokenRoles(token);
  // Exchange's RBAC for Applications grants a mailbox without any role in the token (the
  // README's least-privilege setup): the token alone proves nothing; the folder says
  const inToken = roles ? roles.filter((r) => r.startsWith('Mail.')) : null;
  const tokenSays = inToken === null ? '' : `the app's token carries ${inToken.length ? inToken.join(', ') : 'no mail permission'}`;
  try {
    await withTimeout(probe.mailbox.folderId(gm.folder), timeoutMs, `folder ${gm.folder}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MailboxAccessDenied') {
      if (inToken && !inToken.includes('Mail.ReadWrite')) {
        return [fail(name, `${tokenSays} and Exchange grants none for ${mailbox} either: ${errorText(err, 200)}; syncdesk needs Mail.ReadWrite to read the reports and move or tag them`, `either ${scopeFix(mailbox, appId)}; or, for every mailbox of the tenant, ${PERMISSION_FIX}`)];
      }
      return [fail(name, `token ok (Mail.ReadWrite), but Exchange denies access to ${mailbox}: ${errorText(err, 200)}`, scopeFix(mailbox, appId))];
    }
    if (code === 'MailboxNotFound') return [fail(name, errorText(err), 'set GRAPH_MAILBOX (graphMail.mailbox) to the UPN or address of an Exchange Online mailbox')];
    if (code === 'FolderNotFound') return [fail(name, errorText(err), 'set GRAPH_MAIL_FOLDER (graphMail.folder) to a folder of that mailbox: a well-known name (inbox) or a path like Inbox/DirSync')];
    return [fail(name, `reading folder ${gm.folder} failed: ${errorText(err)}`, 'check GRAPH_BASE_URL / GRAPH_CLOUD and that Graph is reachable')];
  }
  const folder = processedFolderOf(gm);
  const mark = folder ? `moves handled mail to ${folder}` : `tags handled mail with category ${gm.markCategory}`;
  if (inToken === null) return [warn(name, `token ok (not a JWT: its permissions were not read), folder ${gm.folder} readable; syncdesk ${mark}`, PERMISSION_FIX)];
  if (inToken.includes('Mail.ReadWrite')) return [pass(name, `token ok, Mail.ReadWrite, folder ${gm.folder} readable; syncdesk ${mark}`)];
  // readable without Mail.ReadWrite in the token: Exchange grants it (RBAC for Applications), which
  // a read cannot tell from Mail.Read alone; what Exchange grants, its own cmdlet shows
  const confirm = `Test-ServicePrincipalAuthorization -Identity ${appId} -Resource ${mailbox} lists "Application Mail.ReadWrite" with InScope True`;
  const granted = `folder ${gm.folder} readable: Exchange grants the app ${mailbox} (RBAC for Applications, which the token does not show); syncdesk ${mark}, which needs Mail.ReadWrite there`;
  if (!inToken.length) return [pass(name, `${tokenSays}, but ${granted} (${confirm})`)];
  return [warn(name, `${tokenSays}, which cannot move messages nor set categories; ${granted}`, `make sure ${confirm}; else ${PERMISSION_FIX}`)];
}
