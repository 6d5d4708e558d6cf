import { setFlagsFromString } from 'node:v8';

// syncdesk waits on desks, Graph and Redis far more than it computes: V8's memory-saving mode
// (a smaller young generation, full collections before the heap grows) halves the peak RSS of
// a 20,000-error report, at no cost in end-to-end time we could measure (README, Performance),
// though the parse alone runs 1.5–1.9× slower in it (README, #19). Apply it first, before
// anything fills the heap. SYNCDESK_V8_OPTIMIZE_FOR_SIZE=false turns it off.

/** The V8 mode `syncdesk` runs in; the parse bench applies the same to measure it as it runs. */
export function applyV8Mode(env = process.env) {
  if (env.SYNCDESK_V8_OPTIMIZE_FOR_SIZE !== 'false') setFlagsFromString('--optimize-for-size');
}
