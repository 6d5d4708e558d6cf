import { deletedUser, syncedUser, user } from '../fakes/graph/directory.ts';
import type { ReportRow } from './report-mail.ts';

/**
 * The holders the Graph end-to-end tests put in the fake directory of domain `dom`, and the
 * report rows whose values they hold: a cloud-only user holding an alias, a synced user
 * holding a shared address, a soft-deleted user holding its old UPN.
 */
export function graphHolders(dom: string) {
  return {
    cloudOnly: user({ userPrincipalName: `cloud.only@${dom}`, displayName: 'Cloud Only', mail: `cloud.only@${dom}`, proxyAddresses: [`SMTP:cloud.only@${dom}`, `smtp:alias@${dom}`] }),
    synced: syncedUser({ userPrincipalName: `synced@${dom}`, displayName: 'Synced Holder', onPremisesImmutableId: 'c3luY2VkLWhvbGRlcg==', mail: `synced@${dom}`, proxyAddresses: [`SMTP:synced@${dom}`, `smtp:shared@${dom}`] }),
    gone: deletedUser({ userPrincipalName: `gone@${dom}`, displayName: 'Gone', mail: `gone@${dom}`, proxyAddresses: [`SMTP:gone@${dom}`] }),
  };
}

export function holderRows(dom: string): Record<'alias' | 'shared' | 'gone', ReportRow> {
  return {
    alias: { object: `onprem.alias@${dom}`, duplicates: [['ProxyAddresses', `SMTP:alias@${dom}`]], onPremisesObjectId: 'b25wcmVtLWFsaWFz' },
    shared: { object: `onprem.shared@${dom}`, duplicates: [['ProxyAddresses', `smtp:shared@${dom}`]], onPremisesObjectId: 'b25wcmVtLXNoYXJlZA==' },
    gone: { object: `gone@${dom}`, duplicates: [['UserPrincipalName', `gone@${dom}`]], onPremisesObjectId: 'Z29uZS1vbnByZW0=' },
  };
}
