import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Change, Attribute, Client } from 'ldapts';

const run = promisify(execFile);

/** A Samba AD DC on 127.0.0.1 (389/636), started by scripts/samba-ad.sh. */
export interface SambaAd {
  dir: string;
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  tlsCa: string;
  /** Process group of the DC, for tests that freeze it. */
  pid: number;
  /** This call started the DC (it was not already running): the caller stops it. */
  startedHere: boolean;
}

/**
 * Where the DC keeps its state. Provisioning takes ~10 s, so the folder outlives a run
 * and the next run only starts the DC; every run seeds its own OU with fresh names.
 */
export const SAMBA_AD_DIR = process.env.SAMBA_AD_DIR ?? '/var/tmp/syncdesk-samba-ad';

export async function startSambaAd(dir = SAMBA_AD_DIR): Promise<SambaAd> {
  const { stdout } = await run('bash', ['scripts/samba-ad.sh', 'start', dir], { maxBuffer: 1 << 20, timeout: 170_000 });
  const v = Object.fromEntries(stdout.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2]]));
  return {
    dir,
    url: v.AD_URL!,
    baseDn: v.AD_BASE_DN!,
    adminDn: v.AD_ADMIN_DN!,
    adminPassword: v.AD_ADMIN_PASSWORD!,
    tlsCa: v.AD_TLS_CA!,
    pid: Number(v.AD_PID),
    startedHere: v.AD_STARTED === 'yes',
  };
}

export async function stopSambaAd(dir = SAMBA_AD_DIR): Promise<void> {
  await run('bash', ['scripts/samba-ad.sh', 'stop', dir], { timeout: 30_000 });
}

/** An admin connection over LDAPS, for seeding. */
export async function adminClient(ad: SambaAd, ca: string): Promise<Client> {
  const client = new Client({ url: ad.url, tlsOptions: { ca }, timeout: 30_000, connectTimeout: 10_000 });
  await client.bind(ad.adminDn, ad.adminPassword);
  return client;
}

/** AD's unicodePwd: the quoted password in UTF-16LE (settable over LDAPS only). */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/** A short random tag for names that must be unique in the domain (sAMAccountName ≤ 20). */
export function runTag(): string {
  return randomBytes(4).toString('hex');
}

export { Attribute, Change };

/**
 * A run's own OU and what it adds, removed again by `clear()`: users (a password makes one
 * that can bind), groups and contacts, with the values a test wants them to clash on.
 */
export class AdSeed {
  readonly ou: string;
  private readonly created: string[] = [];

  constructor(
    readonly admin: Client,
    baseDn: string,
    readonly tag: string,
  ) {
    this.ou = `OU=run-${tag},${baseDn}`;
  }

  async open(): Promise<this> {
    await this.admin.add(this.ou, { objectClass: ['top', 'organizationalUnit'] });
    return this;
  }

  async add(rdn: string, attributes: Record<string, string | string[] | Buffer>): Promise<string> {
    const dn = `${rdn},${this.ou}`;
    await this.admin.add(dn, attributes as Record<string, string | string[]>);
    this.created.push(dn);
    return dn;
  }

  user(name: string, extra: Record<string, string | string[] | Buffer> = {}, password?: string): Promise<string> {
    const login: Record<string, string | Buffer> = password ? { unicodePwd: unicodePwd(password), userAccountControl: '512' } : {};
    return this.add(`CN=${name}`, { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: `${name.replace(/[^a-z0-9]/gi, '').slice(0, 8)}${this.tag}`, ...login, ...extra });
  }

  group(name: string, extra: Record<string, string | string[]> = {}): Promise<string> {
    return this.add(`CN=${name}`, { objectClass: ['top', 'group'], sAMAccountName: `${name.replace(/[^a-z0-9]/gi, '').slice(0, 8)}${this.tag}`, ...extra });
  }

  contact(name: string, extra: Record<string, string | string[]> = {}): Promise<string> {
    return this.add(`CN=${name}`, { objectClass: ['top', 'person', 'organizationalPerson', 'contact'], ...extra });
  }

  /** objectGUID of an entry, base64 (what a report shows as its source anchor). */
  async guidOf(dn: string): Promise<string> {
    const { searchEntries } = await this.admin.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
    return (searchEntries[0]!.objectGUID as Buffer).toString('base64');
  }

  async clear(): Promise<void> {
    for (const dn of this.created.reverse()) await this.admin.del(dn).catch(() => undefined);
    await this.admin.del(this.ou).catch(() => undefined);
  }
}
