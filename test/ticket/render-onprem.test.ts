import { describe, expect, it } from 'vitest';
import type { OnPremSide } from '../../schemas/resolution.schema.ts';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { contentHash } from '../../src/ticket/content-hash.ts';
import { renderDraft, renderSummary, type ProblemView } from '../../src/ticket/render.ts';
import { toText } from '../helpers/ticket-text.ts';
import { resolveError } from '../../src/resolve/verdict.ts';
import { holder, syncError, ticketJob } from './builders.ts';

/** Both sides on the ticket: the failing AD object with its DN and values, every AD holder by DN, every cloud holder. */

const BASE = 'OU=Staff,DC=corp,DC=example';
const error = syncError({ attribute: 'ProxyAddresses', value: 'smtp:sales@corp.example', identity: 'ann@corp.example' });
const side: OnPremSide = {
  status: 'found',
  object: { dn: `CN=Smith\\, Ann,${BASE}`, kind: 'user', objectClass: ['user'], objectGuid: 'AAECAwQFBgcICQoLDA0ODw==', userPrincipalName: 'ann@corp.example', mail: 'ann@corp.example', proxyAddresses: ['SMTP:ann@corp.example', 'smtp:sales@corp.example'], whenChanged: '2026-11-30T10:00:00.000Z' },
  holders: [{ dn: `CN=Sales,${BASE}`, kind: 'group', objectClass: ['group'], objectGuid: 'EBESExQVFhcYGRobHB0eHw==', mail: 'sales@corp.example', proxyAddresses: ['SMTP:sales@corp.example'], matched: [{ attribute: 'proxyAddresses', value: 'SMTP:sales@corp.example' }] }],
  candidates: [],
  searched: ['smtp:sales@corp.example', 'ann@corp.example'],
  note: null,
  code: null,
};
const cloud = holder({ type: 'group', displayName: 'Sales', userPrincipalName: null, mail: 'sales@corp.example', onPremisesSyncEnabled: true, onPremisesDistinguishedName: `CN=Sales,${BASE}`, matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] });
const seen = { firstSeen: '2026-12-01T06:00:00.000Z', lastSeen: '2026-12-01T06:00:00.000Z', seenCount: 1, reports: [] };

function view(s: OnPremSide, holders = [cloud]): ProblemView {
  const job = ticketJob('corp.example', 1, [error]);
  return { key: correlationKey('corp.example', error), report: job.report, error, resolution: resolveError(error, { status: 'found', holders }, new Date('2026-12-01T06:00:00Z'), s) };
}

describe('a ticket with the on-premises side', () => {
  it('shows the failing object by DN with its values, the AD holder by DN, the cloud holder, and the AD commands', () => {
    const v = view(side);
    expect(renderSummary(v)).toBe('[Duplicate ProxyAddresses] smtp:sales@corp.example on ann@corp.example — held by on-premises group Sales — tenant corp');
    const text = toText(renderDraft(v, seen).body);
    expect(text).toContain('Who holds the value in Entra ID');
    expect(text).toContain(`on-premises DN CN=Sales,${BASE}`);
    expect(text).toContain('On-premises AD');
    expect(text).toContain(`CN=Smith\\, Ann,${BASE}`);
    expect(text).toContain('SMTP:ann@corp.example, smtp:sales@corp.example');
    expect(text).toContain(`group CN=Sales,${BASE} — holds proxyAddresses SMTP:sales@corp.example`);
    expect(text).toContain(`Set-ADGroup -Identity 'CN=Sales,${BASE}' -Remove @{proxyAddresses='SMTP:sales@corp.example'}`);
    expect(text).toContain(`Set-ADUser -Identity 'CN=Smith\\, Ann,${BASE}' -Remove @{proxyAddresses='smtp:sales@corp.example'}`);
  });

  it('marks an AD holder whose account is disabled (a leaver, whose values can go)', () => {
    const leaver = { dn: `CN=Old Ann,${BASE}`, kind: 'user' as const, objectClass: ['user'], objectGuid: 'ICEiIyQlJicoKSorLC0uLw==', proxyAddresses: ['smtp:sales@corp.example'], disabled: true, matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] };
    const text = toText(renderDraft(view({ ...side, holders: [leaver] }), seen).body);
    expect(text).toContain(`user CN=Old Ann,${BASE} (account disabled) — holds proxyAddresses smtp:sales@corp.example`);
    expect(text).not.toContain(`group CN=Sales,${BASE} (account disabled)`);
  });

  it('names in the summary the holder the verdict is about, not the first one found', () => {
    const cloudOnly = holder({ id: 'c0ffee00-0000-4000-8000-000000000002', displayName: 'Ann Cloud', matched: [{ attribute: 'proxyAddresses', value: 'smtp:ann@corp.example' }] });
    const v = view({ ...side, holders: [] }, [cloud, cloudOnly]);
    expect(v.resolution!.verdict).toBe('cloud-only-holder');
    expect(renderSummary(v)).toContain('held by cloud-only user Ann Cloud (+1)');
  });

  it('says why the on-premises side is missing, and keeps the cloud side', () => {
    const down: OnPremSide = { status: 'unavailable', object: null, holders: [], candidates: [], searched: [], note: 'on-premises lookup at ldaps://dc1:636: DC unreachable (connect ECONNREFUSED 10.0.0.4:636)', code: null };
    const v = view(down);
    expect(v.resolution!.verdict).toBe('synced-holder');
    const text = toText(renderDraft(v, seen).body);
    expect(text).toContain('The on-premises side is missing: on-premises lookup at ldaps://dc1:636: DC unreachable');
    expect(text).toContain('group Sales (sales@corp.example) — synced');
    expect(text).toContain(cloud.id);
  });

  it('counts an AD object whose whenChanged moved, or a DC down for another reason, as no change', () => {
    const moved = { ...side, object: { ...side.object!, whenChanged: '2026-12-01T10:00:00.000Z' } };
    expect(contentHash(view(moved))).toBe(contentHash(view(side)));
    const down = (note: string): OnPremSide => ({ status: 'unavailable', object: null, holders: [], candidates: [], searched: [], note, code: null });
    expect(contentHash(view(down('connect ECONNREFUSED')))).toBe(contentHash(view(down('connect ETIMEDOUT'))));
    expect(contentHash(view({ ...side, holders: [] }))).not.toBe(contentHash(view(side)));
  });
});
