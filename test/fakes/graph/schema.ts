/**
 * The slice of the Graph v1.0 directory model the fake serves: per resource type, which
 * properties exist, which can be filtered with which operators by default, and which
 * need the advanced-query parameters (ConsistencyLevel: eventual + $count=true).
 * Taken from the property tables of user.md, group.md and orgcontact.md (docs-contrib).
 */

export type ResourceType = 'user' | 'group' | 'orgContact';

export interface PropertySpec {
  /** Operators usable without advanced parameters (`eq`, `startswith`, `any`, …). */
  ops: string[];
  /** Operators usable only with ConsistencyLevel: eventual and $count=true. */
  advanced?: string[];
  /** Multi-valued: needs a lambda (`any`). */
  multi?: boolean;
  /** Collection of complex values (lambda body filters on `o/<field>`). */
  fields?: Record<string, string[]>;
  /** Returned without $select. */
  byDefault?: boolean;
}

const str = (byDefault = false, advanced: string[] = ['ne', 'not', 'endswith', 'null']): PropertySpec => ({
  ops: ['eq', 'startswith', 'in'],
  advanced,
  byDefault,
});
const eqOnly = (byDefault = false): PropertySpec => ({ ops: ['eq', 'in'], advanced: ['ne', 'not', 'null'], byDefault });
const none = (byDefault = false): PropertySpec => ({ ops: [], byDefault });
const provisioningErrors: PropertySpec = {
  ops: ['any'],
  multi: true,
  fields: { category: ['eq'], propertyCausingError: ['eq'], value: ['eq'] },
};

export const SCHEMAS: Record<ResourceType, Record<string, PropertySpec>> = {
  user: {
    id: eqOnly(true),
    displayName: str(true),
    userPrincipalName: str(true, ['ne', 'not', 'endswith']),
    mail: str(true),
    givenName: str(true),
    surname: str(true),
    mailNickname: str(),
    proxyAddresses: { ops: ['any', 'eq', 'startswith'], advanced: ['endswith', 'not'], multi: true },
    accountEnabled: eqOnly(),
    userType: eqOnly(),
    createdDateTime: none(),
    onPremisesSyncEnabled: eqOnly(),
    onPremisesLastSyncDateTime: eqOnly(),
    onPremisesImmutableId: eqOnly(),
    onPremisesDistinguishedName: none(),
    onPremisesSamAccountName: { ops: [], advanced: ['eq', 'startswith'] },
    onPremisesUserPrincipalName: eqOnly(),
    onPremisesProvisioningErrors: provisioningErrors,
    deletedDateTime: none(),
  },
  group: {
    id: eqOnly(true),
    displayName: str(true),
    mail: str(true),
    mailNickname: str(true),
    mailEnabled: eqOnly(true),
    securityEnabled: eqOnly(true),
    groupTypes: { ops: ['any', 'eq'], multi: true, byDefault: true },
    proxyAddresses: { ops: ['any', 'eq', 'startswith'], advanced: ['endswith', 'not'], multi: true, byDefault: true },
    createdDateTime: none(true),
    onPremisesSyncEnabled: eqOnly(true),
    onPremisesLastSyncDateTime: eqOnly(true),
    onPremisesSamAccountName: eqOnly(true),
    onPremisesSecurityIdentifier: eqOnly(true),
    onPremisesDomainName: none(true),
    onPremisesProvisioningErrors: { ...provisioningErrors, byDefault: true },
    deletedDateTime: none(true),
  },
  orgContact: {
    id: eqOnly(true),
    displayName: str(true),
    mail: str(true),
    mailNickname: str(true),
    companyName: str(true),
    // orgContact proxyAddresses: eq, not, ge, le, startsWith, /$count — no endsWith at all.
    proxyAddresses: { ops: ['any', 'eq', 'startswith'], advanced: ['not'], multi: true, byDefault: true },
    onPremisesSyncEnabled: eqOnly(true),
    onPremisesLastSyncDateTime: eqOnly(true),
    onPremisesProvisioningErrors: { ...provisioningErrors, byDefault: true },
  },
};

export const TYPE_NAMES: Record<ResourceType, { odata: string; resource: string }> = {
  user: { odata: 'microsoft.graph.user', resource: 'User' },
  group: { odata: 'microsoft.graph.group', resource: 'Group' },
  orgContact: { odata: 'microsoft.graph.orgContact', resource: 'OrgContact' },
};
