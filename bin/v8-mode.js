import { setFlagsFromString } from 'node:v8';

// syncdesk waits on desks, Graph and Redis far more than it computes, and a big report is
// read in one go: by default V8 lets the heap grow to several times what is live before it
// collects, so a 10,000-error report peaked at ~375 MB of RSS. Growing the old generation by
// 10% past what survived a full collection keeps that peak at ~240 MB (README, Performance).
//
// It replaced `--optimize-for-size` (session 14), which kept the peak ~35 MB lower but with
// a 1 MB young generation and collections in memory-reducing mode most of the time: the parse
// ran 1.5–1.9× slower in it, 2.5–4× mailparser's decode instead of ~1.8–2.4× (#19).
//
// Applied first, before anything fills the heap. SYNCDESK_V8_MEMORY_SAVING=false turns it off.
const FLAGS = ['--heap-growing-percent=10'];

/** The V8 mode every syncdesk process runs in; the parse bench applies the same to measure it as it runs. */
export function applyV8Mode() {
  if (process.env.SYNCDESK_V8_MEMORY_SAVING === 'false') return;
  for (const flag of FLAGS) setFlagsFromString(flag);
}
