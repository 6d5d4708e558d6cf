import { setFlagsFromString } from 'node:v8';

/**
 * Imported first (`--import`) by a bench process that measures code as `syncdesk start` runs
 * it: bin/syncdesk.js turns on V8's memory-saving mode before the app loads, unless
 * SYNCDESK_V8_OPTIMIZE_FOR_SIZE=false, and so does this.
 */
if (process.env.SYNCDESK_V8_OPTIMIZE_FOR_SIZE !== 'false') setFlagsFromString('--optimize-for-size');
