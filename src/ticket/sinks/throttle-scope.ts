import { header, type HeaderBag } from '../../http-headers.ts';
import { numberHeader, zendeskWindows } from './http-errors.ts';

/**
 * Which later requests a 429 holds back. Most limits count per account, so by default a
 * refusal holds back every request to the desk. Two desks say when a limit counts narrower,
 * and then holding back the whole desk would stall every ticket for one busy one:
 * - Jira names the limit in `RateLimit-Reason`: `jira-per-issue-on-write` counts the writes
 *   to one issue, `jira-burst-based` one endpoint and method, the rest the account
 *   (https://developer.atlassian.com/cloud/jira/platform/build-an-app-that-respects-rate-limits/).
 * - Zendesk's Update Ticket counts per user and ticket (30 per 10 minutes) beside the
 *   account's window (`X-Rate-Limit-Remaining`) and the endpoint's (`Zendesk-RateLimit-<endpoint>`,
 *   https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket): a
 *   429 while both still have requests left is the ticket's own.
 */
export type ThrottleScope = 'desk' | 'endpoint' | 'resource';

export function throttleScope(headers: HeaderBag): ThrottleScope {
  const reason = header(headers, 'ratelimit-reason')?.trim().toLowerCase();
  if (reason === 'jira-per-issue-on-write') return 'resource';
  if (reason === 'jira-burst-based') return 'endpoint';
  if (reason) return 'desk';
  const account = numberHeader(headers, ['x-rate-limit-remaining', 'x-ratelimit-remaining', 'ratelimit-remaining']);
  if (account === undefined || account === 0) return 'desk';
  const endpoint = zendeskWindows(headers);
  if (endpoint.some((w) => w.remaining === 0)) return 'endpoint';
  // the account has room, and so has the endpoint where the desk says: a narrower limit refused this one
  return endpoint.length > 0 ? 'resource' : 'endpoint';
}

/** A request's endpoint: its method and path with every segment that holds a digit (an id, a key, a version) masked. */
export function endpointOf(method: string, url: string): string {
  const path = url.split('?')[0]!;
  return `${method.toUpperCase()} ${path.replace(/\/[^/]*\d[^/]*/g, '/*')}`;
}
