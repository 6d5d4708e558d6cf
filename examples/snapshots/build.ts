/**
 * Builds the directory snapshots of the sample tenants, so `syncdesk demo` can name who
 * holds each duplicate value without a tenant or a network:
 *
 *   npx tsx examples/snapshots/build.ts
 *
 * The objects are invented to give each sample error a holder of a different kind (cloud-only
 * user, synced user, soft-deleted group, contact, cloud-only group). The output is committed.
 */

import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SNAPSHOT_FORMAT, type SnapshotHeader, type SnapshotObjectInput } from '../../src/resolve/snapshot/snapshot-format.ts';
import { saveSnapshot, tenantSlug } from '../../src/resolve/snapshot/snapshot-store.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const TAKEN_AT = '2026-11-30T08:00:00.000Z';
const synced = (dn: string, anchor: string) => ({
  onPremisesSyncEnabled: true,
  onPremisesLastSyncDateTime: '2026-11-30T07:30:00Z',
  onPremisesImmutableId: anchor,
  onPremisesDistinguishedName: dn,
});

const tenants: Array<{ tenant: SnapshotHeader['tenant']; objects: SnapshotObjectInput[] }> = [
  {
    tenant: { id: null, name: 'Contoso Ltd.', domains: ['contoso.com', 'contoso.onmicrosoft.com'] },
    objects: [
      // john@contoso.com: a cloud account someone created before the on-premises one synced
      { type: 'user', id: '5f0c1a2b-0000-4000-8000-000000000001', displayName: 'John Doe (cloud)', userPrincipalName: 'john@contoso.com', mail: 'john@contoso.com', proxyAddresses: ['SMTP:john@contoso.com'], accountEnabled: true },
      // bob@contoso.com: another synced user still carries Bob's old address
      {
        type: 'user',
        id: '5f0c1a2b-0000-4000-8000-000000000002',
        displayName: 'Bob Kelly',
        userPrincipalName: 'bob.kelly@contoso.com',
        mail: 'bob.kelly@contoso.com',
        proxyAddresses: ['SMTP:bob.kelly@contoso.com', 'smtp:bob@contoso.com'],
        accountEnabled: true,
        ...synced('CN=Bob Kelly,OU=Sales,DC=corp,DC=contoso,DC=com', 'Ym9iS2VsbHlDb250b3NvMDE='),
      },
      // finance@contoso.com: a deleted Microsoft 365 group still in the recycle bin
      {
        type: 'group',
        id: '5f0c1a2b-0000-4000-8000-000000000003',
        displayName: 'Finance (old team)',
        mail: 'finance@contoso.com',
        proxyAddresses: ['SMTP:finance@contoso.com', 'smtp:finance@contoso.onmicrosoft.com'],
        groupTypes: ['Unified'],
        mailEnabled: true,
        securityEnabled: false,
        deleted: true,
        deletedDateTime: '2026-11-02T10:00:00Z',
      },
      // alex.wilber@contoso.com: a mail contact with the same address
      { type: 'contact', id: '5f0c1a2b-0000-4000-8000-000000000004', displayName: 'Alex Wilber (external)', mail: 'alex.wilber@contoso.com', proxyAddresses: ['SMTP:alex.wilber@contoso.com'] },
      // patti.fernandez@contoso.com and helpdesk@contoso.com: cloud-only mailboxes
      { type: 'user', id: '5f0c1a2b-0000-4000-8000-000000000005', displayName: 'Patti Fernandez', userPrincipalName: 'patti.fernandez@contoso.com', mail: 'patti.fernandez@contoso.com', proxyAddresses: ['SMTP:patti.fernandez@contoso.com'], accountEnabled: true },
      // a shared mailbox's account cannot sign in
      { type: 'user', id: '5f0c1a2b-0000-4000-8000-000000000006', displayName: 'Help Desk (shared mailbox)', userPrincipalName: 'helpdesk.shared@contoso.com', mail: 'helpdesk@contoso.com', proxyAddresses: ['SMTP:helpdesk@contoso.com'], accountEnabled: false },
    ],
  },
  {
    tenant: { id: null, name: 'Fabrikam, Inc.', domains: ['fabrikam.com', 'fabrikam.onmicrosoft.com'] },
    objects: [
      {
        type: 'user',
        id: '7a1b2c3d-0000-4000-8000-000000000001',
        displayName: 'Chloé Lefèvre (old account)',
        userPrincipalName: 'clefevre@fabrikam.com',
        mail: 'clefevre@fabrikam.com',
        proxyAddresses: ['SMTP:clefevre@fabrikam.com', 'smtp:chloe.lefevre@fabrikam.com'],
        accountEnabled: false,
        ...synced('CN=Chloe Lefevre,OU=Former,DC=fabrikam,DC=local', 'Y2xlZmV2cmVGYWJyaWthbTE='),
      },
    ],
  },
  {
    tenant: { id: null, name: 'Contoso Pharmaceuticals', domains: ['contosopharma.onmicrosoft.com', 'contosopharma.com'] },
    objects: [
      { type: 'group', id: '9c8d7e6f-0000-4000-8000-000000000001', displayName: 'Sales (Teams)', mail: 'sales@contoso.com', proxyAddresses: ['SMTP:sales@contoso.com'], groupTypes: ['Unified'], mailEnabled: true, securityEnabled: false },
      { type: 'contact', id: '9c8d7e6f-0000-4000-8000-000000000002', displayName: 'Fabrikam Partner Desk', mail: 'partnerdesk@fabrikam.com', proxyAddresses: ['SMTP:partnerdesk@fabrikam.com'] },
    ],
  },
];

for (const { tenant, objects } of tenants) {
  rmSync(`${dir}${tenantSlug(tenant)}`, { recursive: true, force: true });
  const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, version: 1, tenant, takenAt: TAKEN_AT, source: 'sample tenant', warnings: [] };
  const saved = await saveSnapshot(dir, header, objects);
  console.log(`${tenant.name}: ${saved.count} objects → ${saved.path}`);
}
