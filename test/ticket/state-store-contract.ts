import { expect, it } from 'vitest';
import type { KeyState, TicketStateStore } from '../../src/ticket/ticket-state.ts';

/** What every TicketStateStore does with streams: the Redis store and the in-memory one run this. */

/** A KeyState of `key`, last seen by `stream`, with a ticket. */
export function state(key: string, stream: string, status: KeyState['status'] = 'open', overrides: Partial<KeyState> = {}): KeyState {
  return {
    key,
    stream,
    fingerprint: `fp-${key}`,
    ticketId: `T-${key}`,
    ticketUrl: null,
    status,
    resolvedAt: null,
    ticketSince: '2026-11-20T00:00:00.000Z',
    summary: 's',
    contentHash: 'h',
    lastReportId: 'r1',
    lastCoversAt: '2026-11-20T00:00:00.000Z',
    missed: 0,
    lastMissedReportId: null,
    firstSeen: '2026-11-20T00:00:00.000Z',
    lastSeen: '2026-11-20T00:00:00.000Z',
    seenCount: 1,
    reports: [],
    ...overrides,
  };
}

export function runStateStoreContract(open: () => Promise<TicketStateStore>): void {
  it('an open key is in the open set of the stream that saw it last, and only there', async () => {
    const store = await open();
    await store.put(state('k1', 'contoso.com'));
    await store.put(state('k2', 'contoso.com'));
    expect(await store.openKeys('contoso.com')).toEqual(['k1', 'k2']);
    await store.put(state('k1', 'contoso.com|graph'));
    expect(await store.openKeys('contoso.com')).toEqual(['k2']);
    expect(await store.openKeys('contoso.com|graph')).toEqual(['k1']);
    await store.put(state('k1', 'contoso.com|graph', 'resolved'));
    expect(await store.openKeys('contoso.com|graph')).toEqual([]);
    expect((await store.get('k1'))?.stream).toBe('contoso.com|graph');
  });

  it('a state moved to another key (its tenant renamed) is no open key of its stream, and says where it went', async () => {
    const store = await open();
    await store.put(state('old', 'fabrikam, inc.'));
    expect(await store.openKeys('fabrikam, inc.')).toEqual(['old']);
    await store.put(state('new', 'fabrikam.onmicrosoft.com'));
    await store.put(state('old', 'fabrikam, inc.', 'open', { movedTo: 'new' }));
    expect(await store.openKeys('fabrikam, inc.')).toEqual([]);
    expect(await store.openKeys('fabrikam.onmicrosoft.com')).toEqual(['new']);
    expect((await store.get('old'))?.movedTo).toBe('new');
  });

  it('marks are per stream and only rise', async () => {
    const store = await open();
    expect(await store.advanceStream('a', 10)).toBeNull();
    expect(await store.advanceStream('a', 5)).toBe(10);
    expect(await store.streamMark('a')).toBe(10);
    expect(await store.streamMark('a|graph')).toBeNull();
  });

  it('remembers every key a tenant name was applied under, each once', async () => {
    const store = await open();
    expect(await store.keysNamed('tailspin.onmicrosoft.com')).toEqual([]);
    await store.addKeyNamed('tailspin.onmicrosoft.com', 'id-1');
    await store.addKeyNamed('tailspin.onmicrosoft.com', 'id-2');
    await store.addKeyNamed('tailspin.onmicrosoft.com', 'id-1');
    expect((await store.keysNamed('tailspin.onmicrosoft.com')).sort()).toEqual(['id-1', 'id-2']);
    expect(await store.keysNamed('contoso.onmicrosoft.com')).toEqual([]);
  });
}
