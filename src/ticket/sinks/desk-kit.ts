import { DESK_REQUIRED } from '../../../schemas/config.schema.ts';
import { envNameOf } from '../../config.ts';
import { PermanentError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { createDeskHttp, type DeskHttp, type DeskHttpOptions } from './http.ts';

/**
 * What the desk adapters share, decided once: which settings a desk needs, how a base URL
 * is written, how a title is cut to the desk's field. (HTTP errors: http-errors.ts.)
 */

export type DeskName = keyof typeof DESK_REQUIRED;
type Required<D extends DeskName> = (typeof DESK_REQUIRED)[D][number];

/** The variables of the desk's required settings that are not set (`RT_URL`, …), in schema order. */
function missingDeskSettings<D extends DeskName>(desk: D, config: Partial<Record<Required<D>, unknown>>): string[] {
  return (DESK_REQUIRED[desk] as readonly Required<D>[]).filter((field) => !config[field]).map((field) => envNameOf(`ticket.${desk}.${field}`));
}

/** The list as a sentence: `A`, `A and B`, `A, B and C`. */
export function listNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

type Ready<D extends DeskName, C> = C & { [K in Required<D>]: NonNullable<C[K & keyof C]> };

/** The desk's config with its required settings present, or the variables of those missing. */
export function checkDeskSettings<D extends DeskName, C extends Partial<Record<Required<D>, unknown>>>(
  desk: D,
  config: C,
): { ready: Ready<D, C> } | { missing: string[] } {
  const missing = missingDeskSettings(desk, config);
  return missing.length ? { missing } : { ready: config as Ready<D, C> };
}

/** The desk's config with its required settings present, or a PermanentError naming every missing one. */
export function requireDeskSettings<D extends DeskName, C extends Partial<Record<Required<D>, unknown>>>(desk: D, config: C): Ready<D, C> {
  const checked = checkDeskSettings(desk, config);
  if ('ready' in checked) return checked.ready;
  const { missing } = checked;
  throw new PermanentError(`${desk}: ${listNames(missing)} ${missing.length === 1 ? 'is' : 'are'} required`, 'desk_not_configured');
}

/** A configured desk URL without trailing slashes, so paths can be appended. */
export function deskBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Text a desk field can hold: line ends as `\n`, control characters (tab and line feed kept) dropped. */
export function deskText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

/** `text` cut to `max` characters, ending in `…` when it was cut. */
export function fitText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The JSON API client of a desk signed in with basic auth (retries and error mapping: http.ts); `overrides` come from tests. */
export function jsonDeskHttp(
  desk: DeskName,
  baseURL: string,
  auth: { username: string; password: string },
  logger: Logger,
  overrides: Partial<Omit<DeskHttpOptions, 'desk' | 'baseURL' | 'auth'>> = {},
): DeskHttp {
  return createDeskHttp({ desk, baseURL, auth, headers: { 'Content-Type': 'application/json' }, logger, ...overrides });
}
