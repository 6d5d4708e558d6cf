import type { Config } from '../../schemas/config.schema.ts';

/**
 * The desks by their TICKET_SINK names. A cross-desk test keys its table by these types
 * (`Record<FakedDesk, …>`), so a desk added to the configuration stops the type check until
 * each table has its row: a new desk cannot skip those tests silently.
 */
export type DeskName = Config['ticket']['sink'];

/** The desks whose service cannot run here: each has a fake HTTP(S) server in test/fakes. */
export type FakedDesk = Exclude<DeskName, 'file' | 'rt'>;
