import { readFileSync } from 'node:fs';
import { AndFilter, Client, EqualityFilter, FilterParser, OrFilter, ResultCodeError, type Entry, type Filter } from 'ldapts';
import type { OnPremObjectData } from '../../../schemas/resolution.schema.ts';
import { PermanentError } from '../../errors.ts';
import { anyOf, equals } from './ldap-filter.ts';
import { classifyLdapError } from './onprem-errors.ts';

/** How to reach one forest: the `onprem` section of the config. */
export interface OnPremDirectoryOptions {
  /**
   * `ldaps://dc.corp.example.com:636`, or a Global Catalog `ldaps://…:3269` for a whole forest.
   * An `ldap://` URL is upgraded with StartTLS before the bind: the password never travels in clear.
   */
  url: string;
  bindDn: string;
  bindPassword: string;
  /** Where every search starts (`DC=corp,DC=example,DC=com`). */
  baseDn: string;
  /** The attribute Entra Connect uses as source anchor. @defaultValue 'objectGUID' */
  anchorAttribute?: 'objectGUID' | 'ms-DS-ConsistencyGuid';
  /** PEM file of the CA that signed the DC's certificate, when the system store lacks it. */
  tlsCa?: string;
  /** Bound on connecting and on each LDAP operation. @defaultValue 10000 */
  timeoutMs?: number;
  /** Entries per page of a paged search. @defaultValue 500 */
  pageSize?: number;
}

export type OnPremKind = OnPremObject['kind'];

/** One on-premises object and the values that Entra Connect syncs from it (schemas/resolution.schema.ts). */
export type OnPremObject = OnPremObjectData;

/** What `doctor` learns from one bind: the base DN exists, and how the anchor attribute stands. */
export interface OnPremProbe {
  baseDnFound: boolean;
  /** The anchor attribute is in the forest's schema. */
  anchorInSchema: boolean;
  /** Some user under the base DN carries the anchor attribute. */
  anchorInUse: boolean;
}

const CONSISTENCY_GUID = 'mS-DS-ConsistencyGuid';
const ANCHOR_LDAP_NAME = { objectGUID: 'objectGUID', 'ms-DS-ConsistencyGuid': CONSISTENCY_GUID } as const;
const ANCHOR_ATTRIBUTES = ['objectGUID', CONSISTENCY_GUID];
const TEXT_ATTRIBUTES = ['distinguishedName', 'objectClass', 'userPrincipalName', 'mail', 'proxyAddresses', 'msRTCSIP-PrimaryUserAddress', 'whenChanged', 'userAccountControl'];
/** userAccountControl's ACCOUNTDISABLE flag. */
const ACCOUNT_DISABLED = 0x2;
/** Only objects Entra Connect syncs can hold a synced value. */
const SYNCED_CLASSES = '(|(objectClass=user)(objectClass=contact)(objectClass=group))';

/**
 * Reads Active Directory over LDAP(S) with a read-only account: the failing object by its
 * source anchor or identity, and every object in the forest that holds a given value.
 * One connection per call, bound, used and unbound; errors leave as TransientError
 * (DC unreachable or slow) or PermanentError (bad credentials, refused).
 */
export class OnPremDirectory {
  private readonly anchorName: string;
  private readonly tlsCa: string | undefined;

  constructor(private readonly options: OnPremDirectoryOptions) {
    this.anchorName = ANCHOR_LDAP_NAME[options.anchorAttribute ?? 'objectGUID'];
    this.tlsCa = options.tlsCa ? readFileSync(options.tlsCa, 'utf8') : undefined;
  }

  /** The object whose source anchor (base64, as in the report) is `anchor`; null when none. */
  async findByAnchor(anchor: string): Promise<OnPremObject | null> {
    return this.session('find by anchor', (s) => s.findByAnchor(anchor));
  }

  /** The objects whose UPN, mail or displayName is `identity` (displayName may name several). */
  async findByIdentity(identity: string): Promise<OnPremObject[]> {
    return this.session('find by identity', (s) => s.findByIdentity(identity));
  }

  /**
   * Every object holding `value` as UPN, mail or proxy address (`SMTP:` and `smtp:`).
   * A prefixed value (`smtp:a@b`, `SIP:a@b`) is also looked for without its prefix.
   */
  async findHolders(value: string): Promise<OnPremObject[]> {
    return this.session('find holders', (s) => s.findHolders([value]));
  }

  /**
   * Runs `work` on one bound connection (a job's many searches share one bind), then unbinds.
   * Every failure leaves classified: TransientError or PermanentError.
   */
  async session<T>(what: string, work: (s: OnPremSession) => Promise<T>): Promise<T> {
    const o = this.options;
    const tlsOptions = this.tlsCa ? { ca: this.tlsCa } : undefined;
    const startTls = /^ldap:/i.test(o.url);
    // tlsOptions on an ldap:// client make ldapts speak TLS at once, before StartTLS: the DC hangs up
    const client = new Client({ url: o.url, timeout: o.timeoutMs ?? 10_000, connectTimeout: o.timeoutMs ?? 10_000, tlsOptions: startTls ? undefined : tlsOptions });
    try {
      if (startTls) await client.startTLS(tlsOptions ?? {}).catch((err: unknown) => Promise.reject(startTlsRefused(err, o.url)));
      await client.bind(o.bindDn, o.bindPassword);
      return await work(new OnPremSession(client, o, this.anchorName));
    } catch (err) {
      throw classifyLdapError(err, `on-premises ${what} at ${o.url}`);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** One bind: does the base DN exist, is the anchor attribute in the schema and in use. */
  async probe(): Promise<OnPremProbe> {
    return this.session('check', (s) => s.probe());
  }
}

/**
 * A DC that answers StartTLS with an LDAP result refuses TLS on this port: AD without a
 * certificate for LDAP answers 52 (unavailable), which is no busy DC to retry. The password
 * was not sent; a person must give the DC a certificate or use ldaps://.
 */
function startTlsRefused(err: unknown, url: string): unknown {
  if (!(err instanceof ResultCodeError)) return err;
  return new PermanentError(
    `on-premises AD at ${url}: the DC refused StartTLS (LDAP result ${err.code}: ${err.message}); the password was not sent. Give the DC a certificate for LDAP, or use ldaps://…:636`,
    'onprem_starttls_refused',
    { cause: err },
  );
}

/** Searches on one bound connection. */
export class OnPremSession {
  constructor(
    private readonly client: Client,
    private readonly options: OnPremDirectoryOptions,
    private readonly anchorName: string,
  ) {}

  /**
   * The object with this source anchor in either attribute Entra Connect takes it from: with
   * mS-DS-ConsistencyGuid as anchor, an object whose attribute is empty is exported with its
   * objectGUID (and the value written back); with objectGUID configured, a forest moved by a
   * migration tool may still carry its old anchor in mS-DS-ConsistencyGuid. The ticket's own
   * search step looks in both. The configured attribute wins when two objects answer.
   */
  /** Where this session searches (objects outside it are not found). */
  get baseDn(): string {
    return this.options.baseDn;
  }

  async findByAnchor(anchor: string): Promise<OnPremObject | null> {
    const bytes = Buffer.from(anchor.trim(), 'base64');
    if (bytes.length === 0) throw new PermanentError(`not a base64 source anchor: ${anchor}`, 'onprem_bad_anchor');
    // a filter object, not a string: ldapts decodes `\XX` escapes of a string filter as UTF-8,
    // which mangles GUID bytes above 0x7f
    const either = new OrFilter({ filters: ANCHOR_ATTRIBUTES.map((attribute) => new EqualityFilter({ attribute, value: bytes })) });
    const found = await this.search(new AndFilter({ filters: [FilterParser.parseString(SYNCED_CLASSES), either] }));
    const wanted = bytes.toString('base64');
    return found.find((o) => o.sourceAnchor === wanted) ?? found[0] ?? null;
  }

  async findByIdentity(identity: string): Promise<OnPremObject[]> {
    const value = identity.trim();
    return this.search(`(&${SYNCED_CLASSES}${anyOf([equals('userPrincipalName', value), equals('mail', value), equals('displayName', value)])})`);
  }

  /** Every object holding any of `values` (one search; see holderFilter for each value). */
  async findHolders(values: string[]): Promise<OnPremObject[]> {
    if (values.length === 0) return [];
    return this.search(`(&${SYNCED_CLASSES}${anyOf(values.map(holderFilter))})`);
  }

  async probe(): Promise<OnPremProbe> {
    const base = await this.client.search(this.options.baseDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }).catch((err: unknown) => {
      if ((err as { code?: number }).code === 32) return null; // noSuchObject
      throw err;
    });
    const root = await this.client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['schemaNamingContext'] });
    const schemaDn = strings(root.searchEntries[0] ?? { dn: '' }, 'schemaNamingContext')[0];
    let anchorInSchema = false;
    if (schemaDn) {
      const { searchEntries } = await this.client.search(schemaDn, { scope: 'one', filter: equals('lDAPDisplayName', this.anchorName), attributes: ['1.1'] });
      anchorInSchema = searchEntries.length > 0;
    }
    let anchorInUse = false;
    if (base) {
      const { searchEntries } = await this.client.search(this.options.baseDn, {
        scope: 'sub',
        filter: `(&(objectClass=user)(${this.anchorName}=*))`,
        attributes: ['1.1'],
        sizeLimit: 1,
      }).catch((err: unknown) => {
        if ((err as { code?: number }).code === 4) return { searchEntries: [{ dn: '' }] }; // sizeLimitExceeded: there is one
        throw err;
      });
      anchorInUse = searchEntries.length > 0;
    }
    return { baseDnFound: base !== null, anchorInSchema, anchorInUse };
  }

  private async search(filter: string | Filter): Promise<OnPremObject[]> {
    const o = this.options;
    const { searchEntries } = await this.client.search(o.baseDn, {
      scope: 'sub',
      filter,
      attributes: [...TEXT_ATTRIBUTES, ...ANCHOR_ATTRIBUTES],
      explicitBufferAttributes: ANCHOR_ATTRIBUTES,
      paged: { pageSize: o.pageSize ?? 500 },
    });
    return searchEntries.map((e) => toObject(e, this.anchorName));
  }
}

const PREFIXED = /^([a-z0-9-]+):(.+)$/i;

/** The filter for every holder of one value; exported for the escaping tests. */
export function holderFilter(value: string): string {
  const v = value.trim();
  const prefixed = PREFIXED.exec(v);
  const parts: string[] = [];
  if (prefixed && !/^smtp$/i.test(prefixed[1]!)) {
    // SIP:, X500:, … are only ever proxy addresses, and a SIP address may be Lync's own attribute
    parts.push(equals('proxyAddresses', v));
    if (/^sip$/i.test(prefixed[1]!)) parts.push(equals('msRTCSIP-PrimaryUserAddress', `sip:${prefixed[2]!}`));
  }
  const address = prefixed && /^smtp$/i.test(prefixed[1]!) ? prefixed[2]! : prefixed ? null : v;
  if (address !== null) {
    parts.push(equals('userPrincipalName', address), equals('mail', address));
    parts.push(equals('proxyAddresses', `SMTP:${address}`), equals('proxyAddresses', `smtp:${address}`));
  }
  return anyOf(parts);
}

function attr(entry: Entry, name: string): Entry[string] | undefined {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : entry[key];
}

function strings(entry: Entry, name: string): string[] {
  const v = attr(entry, name);
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x));
}

function base64(entry: Entry, name: string): string | undefined {
  const v = attr(entry, name);
  const b = Array.isArray(v) ? v[0] : v;
  if (b === undefined || b.length === 0) return undefined;
  return Buffer.isBuffer(b) ? b.toString('base64') : Buffer.from(b, 'binary').toString('base64');
}

/** `20261202002530.0Z` → `2026-12-02T00:25:30.000Z`. */
function generalizedTime(v: string | undefined): string | undefined {
  const m = v ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(v) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : undefined;
}

function kindOf(classes: string[]): OnPremKind {
  const c = new Set(classes.map((x) => x.toLowerCase()));
  if (c.has('computer')) return 'computer';
  if (c.has('contact')) return 'contact';
  if (c.has('group')) return 'group';
  if (c.has('user')) return 'user';
  return 'other';
}

function toObject(entry: Entry, anchorName: string): OnPremObject {
  const objectClass = strings(entry, 'objectClass');
  const optional = (name: string) => strings(entry, name)[0];
  return {
    dn: entry.dn,
    kind: kindOf(objectClass),
    objectClass,
    objectGuid: base64(entry, 'objectGUID') ?? '',
    // what Entra Connect exports: with mS-DS-ConsistencyGuid configured and empty, the objectGUID
    sourceAnchor: base64(entry, anchorName) ?? base64(entry, 'objectGUID'),
    consistencyGuid: base64(entry, CONSISTENCY_GUID),
    userPrincipalName: optional('userPrincipalName'),
    mail: optional('mail'),
    proxyAddresses: strings(entry, 'proxyAddresses'),
    sipAddress: optional('msRTCSIP-PrimaryUserAddress'),
    whenChanged: generalizedTime(optional('whenChanged')),
    ...((Number(optional('userAccountControl')) & ACCOUNT_DISABLED) !== 0 && { disabled: true }),
  };
}
