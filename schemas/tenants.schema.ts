import { z } from 'zod';
import { forestName, GraphCloudSchema, httpsUrl } from './config.schema.ts';
import { DeskRouteSchema } from './ticket.schema.ts';

/**
 * The tenants file (GRAPH_TENANTS_FILE): an MSP's customers, each with its tenant's names,
 * forwarders, Graph sign-in, AD forest and place on the desk. Read by src/resolve/tenants.ts,
 * which resolves `clientSecretEnv` and checks that a sign-in is whole.
 */

export const TenantEntrySchema = z
  .object({
    name: z.string().min(1).optional(),
    tenantId: z.string().min(1),
    domains: z.array(z.string().min(1)).default([]),
    forwarders: z.array(z.string().min(1)).default([]),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** Name of an environment variable holding the secret, so the file itself can stay secret-free. */
    clientSecretEnv: z.string().min(1).optional(),
    certificatePath: z.string().min(1).optional(),
    certificatePassword: z.string().optional(),
    managedIdentity: z.boolean().default(false),
    cloud: GraphCloudSchema.optional(),
    baseUrl: httpsUrl.optional(),
    authorityHost: httpsUrl.optional(),
    /** The customer's AD forest, read by the `syncdesk worker --queues onprem` that sets ONPREM_FOREST to this name. */
    onpremForest: forestName.optional(),
    /** Where this customer's tickets go on the desk (a queue, group or project). */
    desk: DeskRouteSchema.optional(),
  })
  .strict();
// Chosen by the file's shape, not as a union: a union's error says only "Invalid input" at the
// root, where the admin needs the entry and the setting (a missing tenantId, a misspelt key).
export const TenantsListSchema = z.array(TenantEntrySchema);
export const TenantsObjectSchema = z.object({ tenants: TenantsListSchema }).strict();
