import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { Holder } from '../../schemas/resolution.schema.ts';
import { createResolverFromConfig } from '../../src/app/resolver-from-config.ts';
import { loadConfig } from '../../src/config.ts';
import { PermanentError, TransientError } from '../../src/errors.ts';
import { fingerprintError } from '../../src/parse/fingerprint.ts';
import type { DirectoryLookup, LookupQuery } from '../../src/resolve/directory-lookup.ts';
import { createResolver } from '../../src/resolve/resolver.ts';
import type { TenantEntry } from '../../src/resolve/tenants.ts';

/** The resolver asks whatever DirectoryLookup the composition root chose for the report's tenant. */

const ref = (tenantKey: string): ReportRef => ({ reportId: `r-${tenantKey}`, mailId: null, subject: 's', coversAt: '2026-11-24T10:00:00Z', tenantKey, tenant: { name: null, domain: tenantKey, id: null }, source: 'mail' });
const tenant = (tenantId: string): TenantEntry => ({ name: tenantId, tenantId, domains: [`${tenantId}.example`], forwarders: [] });
const dupBase = { category: 'DuplicateAttribute' as const, errorCode: null, identity: 'a@b.c', objectType: 'User', onPremisesObjectId: null, attributes: [{ name: 'ProxyAddresses', value: 'smtp:a@b.c' }], message: 'm' };
const dup = { ...dupBase, fingerprint: fingerprintError(dupBase) };
const holder: Holder = {
  id: 'h1',
  type: 'user',
  displayName: 'Holder',
  userPrincipalName: 'h@b.c',
  mail: 'a@b.c',
  onPremisesSyncEnabled: null,
  onPremisesLastSyncDateTime: null,
  onPremisesImmutableId: null,
  onPremisesDistinguishedName: null,
  deleted: false,
  matched: [{ attribute: 'proxyAddresses', value: 'smtp:a@b.c' }],
};
const silent = pino({ level: 'silent' });

function recording(answer: (q: LookupQuery[]) => Promise<Holder[]>): DirectoryLookup & { asked: LookupQuery[][] } {
  const asked: LookupQuery[][] = [];
  return {
    asked,
    async findHolders(queries) {
      asked.push(queries);
      const holders = await answer(queries);
      return queries.map(() => ({ holders, gap: null }));
    },
  };
}

describe('DirectoryLookup seam', () => {
  it("asks for a failing object's own cloud copy only where the fix would join it to a cloud-only user holder (blind40 G1)", async () => {
    const anchored = { ...dupBase, onPremisesObjectId: 'b2JqZWN0' };
    const toJoin = { ...anchored, fingerprint: fingerprintError(anchored) };
    const syncedBase = { ...anchored, attributes: [{ name: 'ProxyAddresses', value: 'smtp:s@b.c' }] };
    const bySynced = { ...syncedBase, fingerprint: fingerprintError(syncedBase) };
    const anchorsAsked: string[][] = [];
    const lookup: DirectoryLookup = {
      async findHolders(queries) {
        return queries.map((q) => ({ holders: [q.value === 'smtp:s@b.c' ? { ...holder, id: 'h2', onPremisesSyncEnabled: true, onPremisesImmutableId: 'b3RoZXI=' } : holder], gap: null }));
      },
      async findByAnchor(anchors) {
        anchorsAsked.push(anchors);
        return anchors.map(() => [{ ...holder, id: 'copy', onPremisesSyncEnabled: true, onPremisesImmutableId: 'b2JqZWN0', matched: [{ attribute: 'onPremisesImmutableId', value: 'b2JqZWN0' }] }]);
      },
    };
    const resolver = createResolver({ route: () => ({ tenant: tenant('t') }), lookupFor: () => lookup, logger: silent });
    const out = await resolver.resolve(ref('t'), [toJoin, bySynced]);
    expect(anchorsAsked).toEqual([['b2JqZWN0']]);
    expect(out.get(toJoin.fingerprint)!.actions.map((a) => a.command ?? '').join('\n')).not.toContain('Remove-MgUser');
    expect(out.get(bySynced.fingerprint)!.verdict).toBe('synced-holder');
  });


  it('asks the lookup chosen for the report tenant, built once per tenant', async () => {
    const a = tenant('a');
    const b = tenant('b');
    const lookups = new Map([
      [a, recording(async () => [holder])],
      [b, recording(async () => [])],
    ]);
    const built: string[] = [];
    const resolver = createResolver({
      route: (r) => ({ tenant: r.tenantKey === 'a' ? a : b }),
      lookupFor: (t) => {
        built.push(t.tenantId);
        return lookups.get(t)!;
      },
      logger: silent,
    });
    const first = await resolver.resolve(ref('a'), [dup]);
    await resolver.resolve(ref('a'), [dup]);
    const other = await resolver.resolve(ref('b'), [dup]);
    expect(built).toEqual(['a', 'b']);
    expect(lookups.get(a)!.asked).toEqual([[{ attribute: 'ProxyAddresses', value: 'smtp:a@b.c' }], [{ attribute: 'ProxyAddresses', value: 'smtp:a@b.c' }]]);
    expect(first.get(dup.fingerprint)!.holders).toHaveLength(1);
    expect(other.get(dup.fingerprint)!.holders).toEqual([]);
    await resolver.close();
  });

  it('a refusal leaves the errors unresolved with the reason; a transient failure is thrown for a retry', async () => {
    const t = tenant('t');
    const refused = createResolver({ route: () => ({ tenant: t }), lookupFor: () => recording(async () => { throw new PermanentError('no permission', 'Authorization_RequestDenied'); }), logger: silent });
    expect((await refused.resolve(ref('t'), [dup])).get(dup.fingerprint)).toMatchObject({ verdict: 'unresolved', note: expect.stringMatching(/Authorization_RequestDenied/) });
    const flaky = createResolver({ route: () => ({ tenant: t }), lookupFor: () => recording(async () => { throw new TransientError('busy', 'throttled'); }), logger: silent });
    await expect(flaky.resolve(ref('t'), [dup])).rejects.toBeInstanceOf(TransientError);
  });

  it('the composition root takes another lookup in place of Graph', async () => {
    const config = loadConfig({ GRAPH_TENANT_ID: 'T-1', GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: 's' });
    const snapshot = recording(async () => [holder]);
    const seen: string[] = [];
    const resolver = createResolverFromConfig(config, {
      redis: undefined as never, // Graph is never built: nothing to cache
      logger: silent,
      lookupFor: (t) => {
        seen.push(t.tenantId);
        return snapshot;
      },
    });
    const out = await resolver.resolve(ref('contoso.com'), [dup]);
    expect(seen).toEqual(['T-1']);
    expect(out.get(dup.fingerprint)!.holders).toHaveLength(1);
  });
});
