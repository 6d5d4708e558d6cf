import type { ParsedReport } from '../../schemas/report.schema.ts';
import type { TenantDirectory, TenantEntry } from '../resolve/tenants.ts';

/**
 * A forwarder the tenants file lists for its customers vouches for their reports only:
 * one customer's admin must not file tickets, with anchors of
 * his choosing, into another customer's. The reason to hold the mail back, or null when each
 * report names none of the file's other tenants (one that names no known tenant is routed by
 * its forwarder, as before). A forwarder in ALLOWED_FORWARDERS (an MSP's own address)
 * forwards for every tenant.
 */
export function forwarderScope(tenants: TenantDirectory, allowedEverywhere: readonly string[]): (forwarder: string, reports: readonly ParsedReport[]) => string | null {
  const everywhere = new Set(allowedEverywhere.map((f) => f.toLowerCase()));
  const label = (t: TenantEntry): string => t.name ?? t.tenantId;
  return (forwarder, reports) => {
    const address = forwarder.toLowerCase();
    if (everywhere.has(address)) return null;
    const own = tenants.tenants.filter((t) => t.forwarders.includes(address));
    if (!own.length) return null;
    for (const report of reports) {
      const m = tenants.match({ tenantKey: '', tenant: report.tenant });
      if (m.ok && !own.includes(m.tenant)) {
        return `forwarder ${address} forwards for ${own.map(label).join(', ')} (tenants file), but the report is ${label(m.tenant)}'s: list ${address} under that tenant too, or in ALLOWED_FORWARDERS to forward for every tenant`;
      }
    }
    return null;
  };
}
