import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { checkForests } from '../../src/doctor/forest-check.ts';
import { writeTenantsFile } from '../helpers/tenants-file.ts';

const URL = 'ldaps://dc1.msp.example.com';

describe('doctor: an MSP’s on-premises forests', () => {
  it('warns when one ONPREM_URL would read every customer’s objects in the same AD', () => {
    const [r] = checkForests(loadConfig({ GRAPH_TENANTS_FILE: writeTenantsFile([{ name: 'Contoso' }, { name: 'Fabrikam' }]), ONPREM_URL: URL }));
    expect(r).toMatchObject({ status: 'warn', ok: true });
    expect(r!.detail).toContain('one forest for all 2 tenants');
    expect(r!.fix).toContain('ONPREM_FOREST=<name>');
  });

  it('names each forest’s queue and its tenants, and what the others get', () => {
    const file = writeTenantsFile([{ name: 'Contoso', forest: 'contoso' }, { name: 'Fabrikam', forest: 'fabrikam' }, { name: 'Tailspin' }]);
    expect(checkForests(loadConfig({ GRAPH_TENANTS_FILE: file }))[0]).toMatchObject({
      status: 'pass',
      detail: "onprem-contoso for Contoso; onprem-fabrikam for Fabrikam; 1 other tenant(s): no on-premises side (each forest's worker sets ONPREM_FOREST)",
    });
    expect(checkForests(loadConfig({ GRAPH_TENANTS_FILE: file, ONPREM_URL: URL }))[0]!.detail).toContain(`1 other tenant(s): the default forest (${URL}`);
  });

  it('says nothing for one customer, or without a tenants file', () => {
    expect(checkForests(loadConfig({ GRAPH_TENANTS_FILE: writeTenantsFile([{ name: 'Contoso' }]), ONPREM_URL: URL }))).toEqual([]);
    expect(checkForests(loadConfig({ ONPREM_URL: URL }))).toEqual([]);
  });
});
