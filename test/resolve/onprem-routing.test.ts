import { describe, expect, it } from 'vitest';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import { onPremRouting } from '../../src/app/onprem-routing.ts';
import { loadConfig } from '../../src/config.ts';
import { loadConfiguredTenants } from '../../src/resolve/tenants.ts';
import { writeTenantsFile } from '../helpers/tenants-file.ts';

const ref = (domain: string): ReportRef => ({
  reportId: 'r', mailId: null, subject: 's', coversAt: '2026-11-01T06:00:00.000Z', tenantKey: domain, tenant: { name: null, domain, id: null }, source: 'mail',
});

/** The routing openRuntime builds: from the configuration and the tenants file it read. */
const routingFor = (env: Record<string, string>) => {
  const config = loadConfig(env);
  return onPremRouting(config, loadConfiguredTenants(config, env));
};

const tenantsFile = () => writeTenantsFile([{ name: 'Contoso', forest: 'contoso' }, { name: 'Fabrikam', forest: 'Corp-Fabrikam' }, { name: 'Tailspin' }]);

describe('onPremRouting: whose AD a report waits for', () => {
  it("sends each tenant's reports to its own forest's queue, and no other tenant's report waits for an AD", () => {
    const routing = routingFor({ GRAPH_TENANTS_FILE: tenantsFile() });
    expect(routing.forestQueues).toEqual(['onprem-contoso', 'onprem-corp-fabrikam']);
    expect(routing.onpremQueue!(ref('contoso.com'))).toBe('onprem-contoso');
    expect(routing.onpremQueue!(ref('fabrikam.com'))).toBe('onprem-corp-fabrikam');
    expect(routing.onpremQueue!(ref('tailspin.com'))).toBeNull();
    expect(routing.onpremQueue!(ref('unknown.example'))).toBeNull();
  });

  it('with ONPREM_URL and no forest of its own, every other report waits for the default forest', () => {
    const routing = routingFor({ GRAPH_TENANTS_FILE: tenantsFile(), ONPREM_URL: 'ldaps://dc1.corp.example.com' });
    expect(routing.onpremQueue!(ref('contoso.com'))).toBe('onprem-contoso');
    expect(routing.onpremQueue!(ref('tailspin.com'))).toBe('onprem');
    // one customer, no tenants file: as before, every report
    expect(routingFor({ ONPREM_URL: 'ldaps://dc1.corp.example.com' }).onpremQueue!(ref('any.com'))).toBe('onprem');
    expect(routingFor({}).onpremQueue!(ref('any.com'))).toBeNull();
  });

  it("a forest's worker host needs no tenants file: it lists its own forest's queue and makes no report wait", () => {
    const routing = routingFor({ ONPREM_URL: 'ldaps://dc1.contoso.com', ONPREM_FOREST: 'Contoso' });
    expect(routing.forestQueues).toEqual(['onprem-contoso']);
    expect(routing.onpremQueue!(ref('contoso.com'))).toBeNull();
  });

  it('refuses a forest name that cannot be part of a queue name', () => {
    expect(() => loadConfig({ ONPREM_URL: 'ldaps://dc1.contoso.com', ONPREM_FOREST: 'contoso:prod' })).toThrow(/ONPREM_FOREST|forest/);
  });
});
