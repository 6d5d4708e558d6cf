import { isOpenState, MAX_REPORTS, type KeyState, type TicketStateStore } from '../../src/ticket/ticket-state.ts';

/**
 * An in-memory TicketStateStore with the Redis store's semantics (open set per stream,
 * high-water mark, applied reports, one lock per key), so the ticket use case runs in unit
 * tests without Redis. Every `handle()` is another worker on the same state.
 */
export interface MemoryState {
  handle(): TicketStateStore;
}

export function memoryState(): MemoryState {
  const keys = new Map<string, KeyState>();
  const open = new Map<string, Set<string>>();
  const marks = new Map<string, number>();
  const applied = new Set<string>();
  const locks = new Map<string, Promise<unknown>>();
  const families = new Map<string, string>();
  const names = new Map<string, Set<string>>();
  const openOf = (stream: string) => open.get(stream) ?? open.set(stream, new Set()).get(stream)!;
  const store: TicketStateStore = {
    get: async (key) => structuredClone(keys.get(key) ?? null),
    put: async (state) => {
      const s = { ...structuredClone(state), reports: state.reports.slice(-MAX_REPORTS) };
      const before = keys.get(s.key);
      if (before && before.stream !== s.stream) openOf(before.stream).delete(s.key);
      keys.set(s.key, s);
      if (isOpenState(s)) openOf(s.stream).add(s.key);
      else openOf(s.stream).delete(s.key);
      if (isOpenState(s) && s.family) families.set(`${s.stream}|${s.family}`, s.key);
    },
    openKeys: async (stream) => [...openOf(stream)].sort(),
    familyOwner: async (stream, family) => families.get(`${stream}|${family}`) ?? null,
    advanceStream: async (stream, ms) => {
      const previous = marks.get(stream) ?? null;
      marks.set(stream, Math.max(previous ?? ms, ms));
      return previous;
    },
    streamMark: async (stream) => marks.get(stream) ?? null,
    isApplied: async (stream, reportId) => applied.has(`${stream}|${reportId}`),
    markApplied: async (stream, reportId) => void applied.add(`${stream}|${reportId}`),
    keysNamed: async (name) => [...(names.get(name) ?? [])],
    addKeyNamed: async (name, tenantKey) => void names.set(name, (names.get(name) ?? new Set()).add(tenantKey)),
    async withLock(key, fn) {
      const before = locks.get(key) ?? Promise.resolve();
      const run = before.then(fn, fn);
      const settled = run.catch(() => undefined);
      locks.set(key, settled);
      try {
        return await run;
      } finally {
        if (locks.get(key) === settled) locks.delete(key);
      }
    },
  };
  return { handle: () => store };
}
