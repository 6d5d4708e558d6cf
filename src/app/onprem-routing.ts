import type { Config } from '../../schemas/config.schema.ts';
import { onPremQueueName, QUEUE_NAMES, type QueueSettings } from '../queues.ts';
import type { TenantDirectory } from '../resolve/tenants.ts';

/**
 * Which on-premises worker a report waits for. One forest (ONPREM_URL): every report, on
 * the `onprem` queue. Several (an MSP's customers): a tenant of the tenants file with
 * `onpremForest: contoso` waits for the worker inside Contoso's network (ONPREM_FOREST=contoso,
 * queue `onprem-contoso`), so no customer's AD is ever searched for another's objects. A
 * report of any other tenant waits for the default forest's worker (ONPREM_URL without
 * ONPREM_FOREST) if there is one, else for none. `tenants`: the tenants file as
 * loadConfiguredTenants read it.
 */
export function onPremRouting(config: Config, tenants: TenantDirectory | null): Pick<QueueSettings, 'onpremQueue' | 'forestQueues'> {
  const forests = new Set(tenants?.tenants.flatMap((t) => (t.onpremForest ? [t.onpremForest] : [])));
  // a worker host needs no tenants file (it holds every customer's Graph secret): its own forest is listed too
  if (config.onprem.forest) forests.add(config.onprem.forest);
  const fallback = defaultForestQueued(config) ? QUEUE_NAMES.onprem : null;
  return {
    forestQueues: [...forests].sort().map(onPremQueueName),
    onpremQueue(report) {
      const match = tenants?.match(report);
      const forest = match?.ok ? match.tenant.onpremForest : undefined;
      return forest ? onPremQueueName(forest) : fallback;
    },
  };
}

/** ONPREM_URL names the default forest (no ONPREM_FOREST): reports of tenants without a forest of their own wait for its worker. */
export function defaultForestQueued(config: Config): boolean {
  return Boolean(config.onprem.url && !config.onprem.forest);
}
