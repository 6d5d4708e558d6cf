import { describe, expect, it } from 'vitest';
import type { Resolution } from '../../schemas/resolution.schema.ts';
import { adObjectByAnchorCommand, anchorGuid, oneGraphSearch } from '../../src/resolve/powershell.ts';
import { noHolderActions } from '../../src/resolve/actions/cloud-holder.ts';
import { lookupsOf } from '../../src/resolve/actions/steps.ts';
import { unresolvedActions } from '../../src/resolve/actions/without-lookup.ts';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { mergedSteps, problemScope, renderDigest, renderDraft, renderSummary, type ProblemView } from '../../src/ticket/render.ts';
import { toText } from '../helpers/ticket-text.ts';
import { resolution, syncError, ticketJob } from './builders.ts';

/** Tickets an agent can act on at a glance (#12): holder section, one search per value, anchor step, tenant name, scope. */

const seen = { firstSeen: '2026-11-01T06:00:00.000Z', lastSeen: '2026-11-01T06:00:00.000Z', seenCount: 1, reports: [] };

function view(overrides: Partial<ProblemView> = {}): ProblemView {
  const error = overrides.error ?? syncError();
  const report = ticketJob('contoso.onmicrosoft.com', 1, [error]).report;
  return { key: correlationKey('contoso.onmicrosoft.com', error), report, error, resolution: resolution(error), ...overrides };
}

const body = (v: ProblemView) => toText(renderDraft(v, seen).body);
const stopped = { ...syncError({ category: 'Unknown', identity: null }), attributes: [], message: 'Error 016: Synchronization has been stopped. This company has exceeded the number of objects that can be synchronized.' };

describe('the holder section', () => {
  it('says "not looked up" without a resolution, and never "No object found"', () => {
    const text = body(view({ resolution: undefined }));
    expect(text).toContain('Not looked up: no lookup result reached the ticket.');
    expect(text).not.toContain('No object found');
  });
  it('an on-premises duplicate whose cloud side was not asked says so; asked and empty says nobody', () => {
    const error = syncError();
    const notAsked: Resolution = { ...resolution(error, 'onprem-duplicate', []), note: 'Entra ID: Graph is not configured' };
    expect(body(view({ error, resolution: notAsked }))).toContain('Not looked up in Entra ID (see the note below why).');
    expect(body(view({ error, resolution: notAsked }))).not.toContain('No object found');
    const asked: Resolution = { ...resolution(error, 'onprem-duplicate', []), note: null };
    expect(body(view({ error, resolution: asked }))).toContain('No object found in Entra ID holding the value.');
  });
  it('is absent for a tenant-level error, looked up or not', () => {
    for (const r of [undefined, resolution(stopped, 'unresolved', []), resolution(stopped, 'not-applicable', [])]) {
      expect(body(view({ error: stopped, resolution: r }))).not.toContain('Who holds the value');
    }
  });
});

describe('one command per value', () => {
  const group = syncError({ attribute: 'ProxyAddresses', value: 'smtp:sales@contoso.com', identity: 'Sales' });
  const three = { ...group, attributes: ['sales', 'orders', 'info'].map((n) => ({ name: 'ProxyAddresses', value: `smtp:${n}@contoso.com` })) };

  it('a group with three addresses gets three searches, each over users, groups and contacts at once', () => {
    const r: Resolution = { ...resolution(three, 'unresolved', []), actions: unresolvedActions(three) };
    const steps = mergedSteps(r.actions);
    const searches = steps.filter((s) => s.step.startsWith('Find the user, group or contact'));
    expect(searches).toHaveLength(3);
    expect(searches[0]!.command).toBe(
      `@(Get-MgUser -Filter "userPrincipalName eq 'sales@contoso.com' or mail eq 'sales@contoso.com' or proxyAddresses/any(x:x eq 'SMTP:sales@contoso.com') or proxyAddresses/any(x:x eq 'smtp:sales@contoso.com')" -Property Id,DisplayName,UserPrincipalName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesImmutableId,OnPremisesDistinguishedName; ` +
        `Get-MgGroup -Filter "mail eq 'sales@contoso.com' or proxyAddresses/any(x:x eq 'SMTP:sales@contoso.com') or proxyAddresses/any(x:x eq 'smtp:sales@contoso.com')" -Property Id,DisplayName,Mail,ProxyAddresses,GroupTypes,MailEnabled,SecurityEnabled,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesSamAccountName; ` +
        `Get-MgContact -Filter "mail eq 'sales@contoso.com' or proxyAddresses/any(x:x eq 'SMTP:sales@contoso.com') or proxyAddresses/any(x:x eq 'smtp:sales@contoso.com')" -Property Id,DisplayName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime) | Format-List`,
    );
    const text = body(view({ error: three, resolution: r }));
    expect(text.match(/Find the user, group or contact/g)).toHaveLength(3);
    expect(text.match(/^ *@\(Get-MgUser/gm)).toHaveLength(3);
  });
  it('"nobody holds it" confirmations merge the same way, one per value', () => {
    const steps = mergedSteps(noHolderActions(lookupsOf(three)));
    expect(steps.filter((s) => s.step.startsWith('Confirm that no user, group or contact holds'))).toHaveLength(3);
  });
  it('keeps a quoted value intact (single-quoted filter when it could expand)', () => {
    const cmd = oneGraphSearch([`Get-MgUser -Filter 'mail eq ''$x@y''' -Property Id | Format-List`, `Get-MgGroup -Filter 'mail eq ''$x@y''' -Property Id | Format-List`]);
    expect(cmd).toBe(`@(Get-MgUser -Filter 'mail eq ''$x@y''' -Property Id; Get-MgGroup -Filter 'mail eq ''$x@y''' -Property Id) | Format-List`);
  });
  it('different steps and other commands are left as they are', () => {
    expect(mergedSteps([{ step: 'a', command: 'Set-X' }, { step: 'a', command: 'Set-Y' }, { step: 'b', command: null }])).toEqual([
      { step: 'a', command: 'Set-X\nSet-Y' },
      { step: 'b', command: null },
    ]);
  });
});

describe('the source anchor', () => {
  it('decodes like [guid][Convert]::FromBase64String and accepts a GUID', () => {
    expect(anchorGuid('1wfM9xV8fUSHbcAbDlqeOA==')).toBe('f7cc07d7-7c15-447d-876d-c01b0e5a9e38');
    expect(anchorGuid('F7CC07D7-7C15-447D-876D-C01B0E5A9E38')).toBe('f7cc07d7-7c15-447d-876d-c01b0e5a9e38');
    expect(anchorGuid('CN=John,DC=corp')).toBeNull();
    expect(anchorGuid('AAAA')).toBeNull();
  });
  it('opens the object by objectGUID or ms-DS-ConsistencyGuid, bytes escaped', () => {
    expect(adObjectByAnchorCommand('1wfM9xV8fUSHbcAbDlqeOA==')).toBe(
      "Get-ADObject -LDAPFilter '(|(objectGUID=\\d7\\07\\cc\\f7\\15\\7c\\7d\\44\\87\\6d\\c0\\1b\\0e\\5a\\9e\\38)(mS-DS-ConsistencyGuid=\\d7\\07\\cc\\f7\\15\\7c\\7d\\44\\87\\6d\\c0\\1b\\0e\\5a\\9e\\38))' " +
        '-Properties userPrincipalName,mail,proxyAddresses,objectGUID,mS-DS-ConsistencyGuid,whenChanged | Format-List DistinguishedName,ObjectClass,userPrincipalName,mail,proxyAddresses,objectGUID,mS-DS-ConsistencyGuid,whenChanged',
    );
  });
  it('is the first step when the error carries an anchor, absent without one', () => {
    const error = syncError({ onPremisesObjectId: '1wfM9xV8fUSHbcAbDlqeOA==' });
    const text = body(view({ error, resolution: resolution(error) }));
    expect(text).toMatch(/1\. Open the on-premises object from its source anchor 1wfM9xV8fUSHbcAbDlqeOA== \(GUID f7cc07d7-7c15-447d-876d-c01b0e5a9e38\)/);
    expect(text).toMatch(/2\. Change the UPN of the cloud-only user/);
    expect(body(view())).not.toContain('Open the on-premises object');
  });
});

describe('the tenant', () => {
  it('is named by its display name over its domain and id, in the summary, the facts and a digest', () => {
    const error = syncError();
    const report = { ...ticketJob('8a3c7e7e-0000-4000-8000-00000000abcd', 1, [error]).report, tenant: { name: 'Contoso Ltd', domain: null, id: '8a3c7e7e-0000-4000-8000-00000000abcd' } };
    const v = view({ error, report });
    expect(renderSummary(v)).toMatch(/— tenant Contoso Ltd$/);
    expect(body(v)).toMatch(/Tenant\s+: Contoso Ltd \/ 8a3c7e7e-0000-4000-8000-00000000abcd/);
    expect(renderDigest('digest-key', report, [v]).summary).toContain('tenant Contoso Ltd');
  });
});

describe('the scope a priority follows', () => {
  it('a tenant-wide stop (quota, synchronization stopped) is tenant, a single conflict is object', () => {
    expect(problemScope(stopped)).toBe('tenant');
    expect(problemScope(syncError({ category: 'QuotaExceeded' }))).toBe('tenant');
    expect(problemScope(syncError())).toBe('object');
    expect(renderDraft(view({ error: stopped, resolution: undefined }), seen).scope).toBe('tenant');
    expect(renderDraft(view(), seen).scope).toBe('object');
  });
  it('a digest is tenant when any of its problems is', () => {
    const report = view().report;
    expect(renderDigest('k', report, [view(), view({ error: stopped })]).scope).toBe('tenant');
    expect(renderDigest('k', report, [view()]).scope).toBe('object');
  });
  it('the draft names the report mail when there is one', () => {
    const v = view();
    expect(renderDraft(v, seen).mailId).toBeUndefined();
    expect(renderDraft({ ...v, report: { ...v.report, mailId: 'a'.repeat(64) } }, seen).mailId).toBe('a'.repeat(64));
  });
});
