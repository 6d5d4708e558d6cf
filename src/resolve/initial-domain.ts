/**
 * A tenant's initial domain (`contoso.onmicrosoft.com`, in each cloud), or its mail routing
 * subdomain (`contoso.mail.onmicrosoft.com`): Microsoft gives every tenant one, and every cloud
 * mailbox and group an address there.
 */
export function isInitialDomain(domain: string | null | undefined): boolean {
  return !!domain && INITIAL_DOMAIN.test(domain);
}

const INITIAL_DOMAIN = /^[a-z0-9][a-z0-9-]*\.(?:(?:mail\.)?onmicrosoft\.(?:com|us|de)|partner\.onmschina\.cn)$/i;
