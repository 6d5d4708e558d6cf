import type { z } from 'zod';

/*
 * Which keys a zod schema accepts, and which known key a misspelt one meant: the config
 * file, the environment and the tenants file all say "unknown key, did you mean …" from
 * the schema itself, so a key added to a schema is known everywhere at once.
 */

type AnySchema = z.core.$ZodType;

/** The schema one wrapper down (a default, optional, prefault, transform's input…), or null at a plain type. */
export function innerSchema(schema: AnySchema): AnySchema | null {
  const def = schema._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
  return def.innerType ?? (def.type === 'pipe' ? (def.in ?? null) : null);
}

/** The schema under every wrapper (what decides the accepted keys). */
export function unwrapSchema(schema: AnySchema): AnySchema {
  let s = schema;
  // wrappers nest a few deep; the bound only guards against a schema that wraps itself
  for (let i = 0; i < 20; i++) s = innerSchema(s) ?? s;
  return s;
}

/** The fields of an object schema under its wrappers, or null if it is no object. */
export function objectShape(schema: AnySchema): Record<string, AnySchema> | null {
  const def = unwrapSchema(schema)._zod.def as { type: string; shape?: Record<string, AnySchema> };
  return def.type === 'object' && def.shape ? def.shape : null;
}

/** Every key path the schema accepts: `ticket.rt.url`, …, and the sections themselves. */
export function schemaPaths(schema: AnySchema, prefix = ''): Map<string, 'section' | 'value'> {
  const out = new Map<string, 'section' | 'value'>();
  for (const [key, child] of Object.entries(objectShape(schema) ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (objectShape(child)) {
      out.set(path, 'section');
      for (const [p, kind] of schemaPaths(child, path)) out.set(p, kind);
    } else {
      out.set(path, 'value');
    }
  }
  return out;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known path closest to a misspelt one, if it is close enough to be a typo. */
export function suggest(path: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestScore = Infinity;
  const last = path.split('.').at(-1)!.toLowerCase();
  for (const k of known) {
    const score = Math.min(editDistance(path.toLowerCase(), k.toLowerCase()), editDistance(last, k.split('.').at(-1)!.toLowerCase()) + (k.split('.').length === path.split('.').length ? 0 : 2));
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best !== null && bestScore <= Math.max(2, Math.floor(last.length / 4)) ? best : null;
}
