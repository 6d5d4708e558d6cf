import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.ts';
import { classifyHttpFailure, describeBody, rateLimitNearlySpent, retryAfterMs } from '../../src/ticket/sinks/http-errors.ts';
import { throttleScope } from '../../src/ticket/sinks/throttle-scope.ts';

const NOW = Date.parse('2026-11-24T10:00:00Z');
const base = { desk: 'rt', method: 'post', url: '/ticket', nowMs: NOW };

describe('retryAfterMs', () => {
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(retryAfterMs({ 'Retry-After': '7' }, NOW)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 24 Nov 2026 10:00:30 GMT' }, NOW)).toBe(30_000);
  });
  it('reads X-RateLimit-Reset as epoch seconds (ServiceNow) and ISO time (Jira)', () => {
    expect(retryAfterMs({ 'x-ratelimit-reset': String(NOW / 1000 + 12) }, NOW)).toBe(12_000);
    expect(retryAfterMs({ 'X-RateLimit-Reset': '2026-11-24T10:01:00.000Z' }, NOW)).toBe(60_000);
    expect(retryAfterMs({ 'x-ratelimit-reset': String(NOW + 500) }, NOW)).toBe(500);
  });
  it('prefers Retry-After and never returns a negative wait', () => {
    expect(retryAfterMs({ 'retry-after': '2', 'x-ratelimit-reset': '2026-11-24T10:01:00Z' }, NOW)).toBe(2000);
    expect(retryAfterMs({ 'x-ratelimit-reset': '2026-11-24T09:00:00Z' }, NOW)).toBe(0);
  });
  it('is undefined without a usable header', () => {
    expect(retryAfterMs({}, NOW)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' }, NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
  });
});

describe("Zendesk's endpoint windows (Zendesk-RateLimit-<endpoint>: total=…; remaining=…; resets=…)", () => {
  const update = (remaining: number) => ({ 'Zendesk-RateLimit-tickets-update': `total=100; remaining=${remaining}; resets=41` });
  it('a spent window says how long to wait when no Retry-After does', () => {
    expect(retryAfterMs(update(0), NOW)).toBe(41_000);
    expect(retryAfterMs(update(3), NOW)).toBeUndefined();
  });
  it('a window under a tenth left is nearly spent, like the account-wide headers', () => {
    expect(rateLimitNearlySpent(update(9))).toBe(true);
    expect(rateLimitNearlySpent(update(10))).toBe(false);
    expect(rateLimitNearlySpent({ 'x-rate-limit': '700', 'x-rate-limit-remaining': '69' })).toBe(true);
  });
});

describe('throttleScope: what a 429 holds back', () => {
  it("Jira's RateLimit-Reason names the scope", () => {
    expect(throttleScope({ 'RateLimit-Reason': 'jira-per-issue-on-write' })).toBe('resource');
    expect(throttleScope({ 'RateLimit-Reason': 'jira-burst-based' })).toBe('endpoint');
    expect(throttleScope({ 'RateLimit-Reason': 'jira-quota-global-based' })).toBe('desk');
  });
  it('without a word on the scope, or with the account spent, the whole desk', () => {
    expect(throttleScope({ 'Retry-After': '5' })).toBe('desk');
    expect(throttleScope({ 'X-Rate-Limit-Remaining': '0', 'Zendesk-RateLimit-tickets-update': 'total=100; remaining=50; resets=9' })).toBe('desk');
  });
  it('with the account window open: the spent endpoint, else the one ticket', () => {
    expect(throttleScope({ 'X-Rate-Limit-Remaining': '600', 'Zendesk-RateLimit-tickets-update': 'total=100; remaining=0; resets=9' })).toBe('endpoint');
    expect(throttleScope({ 'X-Rate-Limit-Remaining': '600', 'Zendesk-RateLimit-tickets-update': 'total=100; remaining=50; resets=9' })).toBe('resource');
  });
});

describe('classifyHttpFailure', () => {
  it.each([429, 500, 502, 503, 504, 408, 409])('HTTP %i is transient', (status) => {
    expect(classifyHttpFailure({ ...base, status })).toBeInstanceOf(TransientError);
  });
  it.each([
    [400, 'desk_rejected'],
    [401, 'desk_unauthorized'],
    [403, 'desk_forbidden'],
    [404, 'desk_not_found'],
    [422, 'desk_rejected'],
  ])('HTTP %i is permanent (%s)', (status, code) => {
    const err = classifyHttpFailure({ ...base, status });
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe(code);
  });
  it('keeps the wait the desk asked for on a 429', () => {
    const err = classifyHttpFailure({ ...base, status: 429, headers: { 'Retry-After': '3' } });
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBe(3000);
    expect(err.code).toBe('desk_rate_limited');
  });
  it('names desk, call and the desk reason in the message', () => {
    const err = classifyHttpFailure({ ...base, status: 403, body: { message: "No permission to create tickets in the queue 'X'" } });
    expect(err.message).toBe("rt POST /ticket: HTTP 403 (No permission to create tickets in the queue 'X')");
  });
  it('treats a failure without an answer as transient', () => {
    expect(classifyHttpFailure({ ...base, networkCode: 'ECONNREFUSED' }).code).toBe('desk_network');
    expect(classifyHttpFailure({ ...base, networkCode: 'ECONNABORTED' }).code).toBe('desk_timeout');
  });
});

describe('describeBody', () => {
  it('reads the error shapes of each desk', () => {
    expect(describeBody({ error: { message: 'Invalid table', detail: 'x' }, status: 'failure' })).toBe('Invalid table; x');
    expect(describeBody({ errorMessages: ['Issue does not exist'], errors: {} })).toBe('Issue does not exist');
    expect(describeBody({ error: 'RecordInvalid', description: 'Record validation errors' })).toBe(
      'RecordInvalid; Record validation errors',
    );
    expect(describeBody(['Ticket 1: Status bogus is not valid'])).toBe('Ticket 1: Status bogus is not valid');
  });

  it('names the refused field of an `errors` list, as Freshservice and many JSON APIs answer a 400', () => {
    expect(
      describeBody({ description: 'Validation failed', errors: [{ field: 'custom_fields.dedup_key', message: 'Has 0 characters, it should have minimum of 1 characters', code: 'missing_field' }] }),
    ).toBe('Validation failed; custom_fields.dedup_key: Has 0 characters, it should have minimum of 1 characters');
    expect(describeBody({ errors: [{ detail: 'Invalid priority', path: '/priority' }, 'second'] })).toBe('/priority: Invalid priority; second');
  });
});
