import type { Config } from '../../schemas/config.schema.ts';
import { defaultForestQueued } from '../app/onprem-routing.ts';
import { onPremQueueName } from '../queues.ts';
import { loadTenantsFile, tenantLabel, type TenantEntry } from '../resolve/tenants.ts';
import { pass, warn, type CheckResult } from './check.ts';

/**
 * An MSP's forests: which tenant's reports wait for which on-premises worker (the tenants
 * file's `onpremForest`), and the one setup that reads every customer's objects in one AD.
 * A tenants file that cannot be read is the Graph check's to report.
 */
export function checkForests(config: Config, env: Record<string, string | undefined> = process.env): CheckResult[] {
  if (!config.graph.tenantsFile) return [];
  let tenants: TenantEntry[];
  try {
    tenants = loadTenantsFile(config.graph.tenantsFile, env).tenants;
  } catch {
    return [];
  }
  const byForest = new Map<string, string[]>();
  for (const t of tenants) if (t.onpremForest) byForest.set(t.onpremForest, [...(byForest.get(t.onpremForest) ?? []), tenantLabel(t)]);
  const fallback = defaultForestQueued(config);
  if (!byForest.size) {
    if (!fallback || tenants.length < 2) return [];
    return [
      warn(
        'on-premises forests',
        `ONPREM_URL is one forest for all ${tenants.length} tenants of the tenants file: every customer's objects are looked for in the same AD`,
        "give each tenant with an AD of its own `onpremForest: <name>` in the tenants file, and run one `syncdesk worker --queues onprem` per forest inside that customer's network with ONPREM_FOREST=<name>",
      ),
    ];
  }
  const forests = [...byForest].sort().map(([forest, names]) => `${onPremQueueName(forest)} for ${names.join(', ')}`);
  const others = tenants.length - [...byForest.values()].flat().length;
  const rest = others ? `; ${others} other tenant(s): ${fallback ? `the default forest (${config.onprem.url})` : 'no on-premises side'}` : '';
  return [pass('on-premises forests', `${forests.join('; ')}${rest} (each forest's worker sets ONPREM_FOREST)`)];
}
