import type { GRAPH_CLOUDS } from '../schemas/config.schema.ts';

/**
 * Microsoft's clouds as syncdesk meets them: where each one's Graph, sign-in and Exchange
 * Online live, and what its PowerShell modules call it. Tokens never cross clouds, so every
 * host a tenant is sent to comes from its own cloud's row.
 */

export type GraphCloud = (typeof GRAPH_CLOUDS)[number];

/**
 * Each cloud's Graph root, sign-in authority (China's as Microsoft's national-cloud page gives
 * it, login.partner.microsoftonline.cn, where MSAL sends login.chinacloudapi.cn too: doctor must
 * name the host the requests go to) and Exchange Online resource (app-only IMAP asks
 * its `.default`), and the names Connect-MgGraph (`-Environment`) and Connect-ExchangeOnline
 * (`-ExchangeEnvironmentName`) take for it. The Exchange resources are those public scripts
 * and tools use (outlook.office365.us, outlook-dod.office365.us, partner.outlook.cn); Microsoft's
 * IMAP OAuth page names the global one only.
 */
export const CLOUDS: Record<GraphCloud, { label: string; graph: string; authority: string; exchange: string; mgEnvironment: string; exoEnvironment: string }> = {
  global: { label: 'global', graph: 'https://graph.microsoft.com', authority: 'https://login.microsoftonline.com', exchange: 'https://outlook.office365.com', mgEnvironment: 'Global', exoEnvironment: 'O365Default' },
  usgov: { label: 'US Government (GCC High)', graph: 'https://graph.microsoft.us', authority: 'https://login.microsoftonline.us', exchange: 'https://outlook.office365.us', mgEnvironment: 'USGov', exoEnvironment: 'O365USGovGCCHigh' },
  usgovdod: { label: 'US Government (DoD)', graph: 'https://dod-graph.microsoft.us', authority: 'https://login.microsoftonline.us', exchange: 'https://outlook-dod.office365.us', mgEnvironment: 'USGovDoD', exoEnvironment: 'O365USGovDoD' },
  china: { label: 'China (operated by 21Vianet)', graph: 'https://microsoftgraph.chinacloudapi.cn', authority: 'https://login.partner.microsoftonline.cn', exchange: 'https://partner.outlook.cn', mgEnvironment: 'China', exoEnvironment: 'O365China' },
};

/** The scope of an app-only token for Exchange Online's IMAP in `cloud`. */
export function exchangeScope(cloud: GraphCloud): string {
  return `${CLOUDS[cloud].exchange}/.default`;
}

/** What Connect-MgGraph (`-Environment`) and Connect-ExchangeOnline (`-ExchangeEnvironmentName`) call `cloud`. */
export function environmentNames(cloud: GraphCloud): { mg: string; exo: string } {
  return { mg: CLOUDS[cloud].mgEnvironment, exo: CLOUDS[cloud].exoEnvironment };
}

/**
 * What an agent must do first in a national cloud, where Connect-MgGraph and
 * Connect-ExchangeOnline sign in to the global cloud unless told otherwise.
 */
export function connectFirst(cloud: GraphCloud, tenantId: string | null): { step: string; command: string } {
  const c = CLOUDS[cloud];
  const names = environmentNames(cloud);
  const support = cloud === 'china' ? ' Support cases for this tenant go to 21Vianet, which operates the cloud.' : '';
  return {
    step: `This tenant is in the ${c.label} cloud: connect to it there before running the commands below (as an admin of the tenant).${support}`,
    command: `Connect-MgGraph -Environment ${names.mg}${tenantId ? ` -TenantId ${tenantId}` : ''}\nConnect-ExchangeOnline -ExchangeEnvironmentName ${names.exo}`,
  };
}

/** The cloud's name as an agent reads it. */
export function cloudLabel(cloud: GraphCloud): string {
  return CLOUDS[cloud].label;
}

/**
 * A host of another cloud given as `cloud`'s Graph root, sign-in host or OAuth2 IMAP host: tokens never cross
 * clouds, so such a setting sends the tenant's secret to the wrong cloud and fails (once,
 * GRAPH_CLOUD=usgov with GRAPH_BASE_URL=https://graph.microsoft.com was taken without a word).
 */
export function otherCloudsHost(cloud: GraphCloud, overrides: { baseUrl?: string | undefined; authorityHost?: string | undefined; exchangeHost?: string | undefined }): string | null {
  const trim = (u: string) => u.replace(/\/+$/, '').replace(/\/(v1\.0|beta)$/, '').toLowerCase();
  const own = CLOUDS[cloud];
  const hostOf = (url: string) => new URL(url).host;
  // GCC High and DoD are not told apart by the IMAP host: public sources differ on DoD's
  const usGov = (c: string) => c.startsWith('usgov');
  for (const [other, hosts] of Object.entries(CLOUDS)) {
    if (overrides.baseUrl && trim(overrides.baseUrl) === hosts.graph && hosts.graph !== own.graph) return `${overrides.baseUrl} is the ${other} cloud's Graph, not ${cloud}'s (${own.graph})`;
    if (overrides.authorityHost && trim(overrides.authorityHost) === hosts.authority && hosts.authority !== own.authority) return `${overrides.authorityHost} is the ${other} cloud's sign-in host, not ${cloud}'s (${own.authority})`;
    // the IMAP host of an OAuth2 login: the token is for the cloud's own Exchange
    if (overrides.exchangeHost?.toLowerCase() === hostOf(hosts.exchange) && hosts.exchange !== own.exchange && !(usGov(other) && usGov(cloud))) return `${overrides.exchangeHost} is the ${other} cloud's Exchange Online, not ${cloud}'s (${hostOf(own.exchange)})`;
  }
  return null;
}
