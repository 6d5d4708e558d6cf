import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An MSP's tenants file of these customers (name, its `<name>.com` domain, a forest or none), with dummy app credentials. */
export function writeTenantsFile(customers: Array<{ name: string; forest?: string }>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'syncdesk-tenants-')), 'tenants.yaml');
  const entry = ({ name, forest }: { name: string; forest?: string }, n: number) =>
    `  - name: ${name}\n    tenantId: 0e2e0000-0000-4000-8000-00000000000${n}\n    domains: [${name.toLowerCase()}.com]\n    clientId: c\n    clientSecret: s\n${forest ? `    onpremForest: ${forest}\n` : ''}`;
  writeFileSync(file, `tenants:\n${customers.map(entry).join('')}`);
  return file;
}
