import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.ts';
import { createTenantDirectory, deskRouteOf, parseTenants } from '../../src/resolve/tenants.ts';
import { routeText } from '../../src/ticket/sinks/index.ts';
import { syncError, ticketJob } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * An MSP's tenants file says where each customer's tickets go (`desk:`): a queue, group,
 * project per customer. These tests hold the file's rules and the ticket
 * stage's routing; each desk's own use of a route is tested against it (rt.int, servicenow,
 * jira, zendesk tests).
 */

const FILE = `
tenants:
  - name: Contoso
    tenantId: 0e2e0000-0000-4000-8000-000000000001
    domains: [contoso.com]
    desk:
      rt: { queue: Contoso }
      servicenow: { assignmentGroup: Contoso L2, company: Contoso Ltd }
      jira: { project: CON }
      zendesk: { groupId: 2001 }
  - name: Fabrikam
    tenantId: 0e2e0000-0000-4000-8000-000000000002
    domains: [fabrikam.com]
`;

describe("a tenants file's desk routes", () => {
  it('reads each desk part of an entry; an entry without one has none', () => {
    const [contoso, fabrikam] = parseTenants(FILE, {});
    expect(contoso!.desk).toEqual({
      rt: { queue: 'Contoso' },
      servicenow: { assignmentGroup: 'Contoso L2', company: 'Contoso Ltd' },
      jira: { project: 'CON' },
      zendesk: { groupId: 2001 },
    });
    expect(fabrikam!.desk).toBeUndefined();
  });

  it('refuses a misspelt setting or a value of the wrong kind, naming the entry', () => {
    const bad = (desk: string) => () => parseTenants(`tenants:\n  - name: Contoso\n    tenantId: t-1\n    desk: ${desk}\n`, {}, 'tenants.yaml');
    expect(bad('{ rt: { queu: Contoso } }')).toThrow(PermanentError);
    expect(bad('{ rt: { queu: Contoso } }')).toThrow(/^tenants\.yaml: tenants\.0 \(Contoso\)\.desk\.rt\.queue: .*; tenants\.0 \(Contoso\)\.desk\.rt: Unrecognized key: "queu" \(did you mean queue\?\)$/);
    expect(bad('{ zendesk: { groupId: Support } }')).toThrow(/tenants\.0 \(Contoso\)\.desk\.zendesk\.groupId/);
    expect(bad('{ freshdesk: { group: 1 } }')).toThrow(/desk: Unrecognized key.*freshdesk/);
    // a typo is named with the key it likely meant, as the config file does (blind39 M4)
    expect(bad('{ servicenow: { asignmentGroup: Contoso L2 } }')).toThrow(/desk\.servicenow: Unrecognized key: "asignmentGroup" \(did you mean assignmentGroup\?\)/);
  });

  it('names the entry and the setting of any mistake, not "(root): Invalid input"', () => {
    expect(() => parseTenants('tenants:\n  - name: Contoso\n    tenantIdd: t-1\n', {}, 'tenants.yaml')).toThrow(
      /^tenants\.yaml: tenants\.0 \(Contoso\)\.tenantId: .*; tenants\.0 \(Contoso\): Unrecognized key: "tenantIdd" \(did you mean tenantId\?\)$/,
    );
    expect(() => parseTenants('- name: Contoso\n  tenantId: t-1\n  desk: { jira: { project: 7 } }\n', {}, 'tenants.yaml')).toThrow(/^tenants\.yaml: tenants\.0 \(Contoso\)\.desk\.jira\.project: /);
  });
});

describe('the ticket stage routes new tickets by the report tenant', () => {
  const desk = useFileDesk({ resolveAfterMissing: 0 });

  it("puts a known tenant's ticket where its entry says, and an unknown tenant's where the desk's own settings do", async () => {
    const routeOf = deskRouteOf(createTenantDirectory(parseTenants(FILE, {})));
    const applier = (await import('../../src/ticket/apply-report.ts')).createReportApplier({
      sink: desk.sink(),
      state: desk.state(),
      policy: { reopenWithinDays: 30, resolveAfterMissing: 0, digest: false },
      routeOf,
    });
    const [routed] = await applier.applyReport(ticketJob('contoso.com', 3, [syncError({ value: 'a@contoso.com' })]), new Map());
    const [plain] = await applier.applyReport(ticketJob('tailspin.com', 3, [syncError({ value: 'b@tailspin.com' })]), new Map());
    expect((await desk.sink().read(routed!.ticketId!))?.route).toEqual(expect.objectContaining({ rt: { queue: 'Contoso' }, zendesk: { groupId: 2001 } }));
    expect((await desk.sink().read(plain!.ticketId!))?.route).toBeUndefined();
  });

  it('routes nothing when no entry has a desk part', () => {
    expect(deskRouteOf(createTenantDirectory(parseTenants('[{ name: Fabrikam, tenantId: t-2 }]', {})))).toBeUndefined();
    expect(deskRouteOf(null)).toBeUndefined();
  });
});

describe("a route as the admin reads it (replay --dry-run's planned creates)", () => {
  it("names the configured desk's part of it, or nothing", () => {
    const [contoso] = parseTenants(FILE, {});
    expect(routeText(contoso!.desk, 'rt')).toBe('RT queue Contoso');
    expect(routeText(contoso!.desk, 'servicenow')).toBe('ServiceNow group Contoso L2, company Contoso Ltd');
    expect(routeText(contoso!.desk, 'jira')).toBe('Jira project CON');
    expect(routeText(contoso!.desk, 'zendesk')).toBe('Zendesk group 2001');
    expect(routeText({ zendesk: { groupId: 7, assigneeEmail: 'ops@contoso.com' } }, 'zendesk')).toBe('Zendesk group 7 (ops@contoso.com)');
    expect(routeText({ rt: { queue: 'Contoso' } }, 'jira')).toBeNull();
    expect(routeText(undefined, 'rt')).toBeNull();
  });
});
