import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.ts';
import { classifyGraphFailure, classifyThrown } from '../../src/resolve/graph-errors.ts';
import { parseRetryAfter } from '../../src/http-headers.ts';

describe('Graph failures → what the queue does', () => {
  it.each([
    [429, 'TooManyRequests', TransientError],
    [503, 'serviceNotAvailable', TransientError],
    [504, undefined, TransientError],
    [400, 'Request_UnsupportedQuery', PermanentError],
    [403, 'Authorization_RequestDenied', PermanentError],
    [401, 'InvalidAuthenticationToken', PermanentError],
  ] as const)('%s %s', (status, code, kind) => {
    expect(classifyGraphFailure({ status, code })).toBeInstanceOf(kind);
  });

  it('keeps Retry-After (seconds or HTTP date) in ms', () => {
    expect((classifyGraphFailure({ status: 429, retryAfter: '7' }) as TransientError).retryAfterMs).toBe(7000);
    expect(parseRetryAfter(new Date(10_000 + 3000).toUTCString(), 10_000)).toBeLessThanOrEqual(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('maps a missing object to ObjectNotFound', () => {
    expect(classifyGraphFailure({ status: 404, code: 'Request_ResourceNotFound' }).code).toBe('ObjectNotFound');
  });

  it('thrown errors: AADSTS sign-in failures are permanent, network errors transient', () => {
    const aad = classifyThrown(Object.assign(new Error('invalid_client: AADSTS7000215: Invalid client secret provided.'), { name: 'AuthenticationRequiredError' }));
    expect(aad).toBeInstanceOf(PermanentError);
    expect(aad.code).toBe('AADSTS7000215');
    expect(classifyThrown(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBeInstanceOf(TransientError);
    const graph = classifyThrown({ statusCode: 429, code: 'TooManyRequests', message: 'x', headers: new Headers({ 'Retry-After': '2' }) });
    expect((graph as TransientError).retryAfterMs).toBe(2000);
  });
});
