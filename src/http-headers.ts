/** Reading HTTP answers' headers, as Graph's and the desks' clients both need it. */

export type HeaderBag = Record<string, unknown> | undefined;

/** A header by its name in any case; the first value of a repeated one. */
export function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== wanted || v === undefined || v === null) continue;
    return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

/** `Retry-After` in ms (seconds or HTTP date), undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
