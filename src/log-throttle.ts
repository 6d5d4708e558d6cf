/**
 * A warning that repeats, logged at most once per `everyMs` with how many were held back since:
 * while Redis is down every client and worker reports its failed reconnect several times a
 * second (blind test 18 counted ~25,000 lines an hour), which buries the one line that matters.
 */
export function throttle(everyMs: number, now: () => number = Date.now): (emit: (heldBack: number) => void) => void {
  let last = -Infinity;
  let held = 0;
  return (emit) => {
    const t = now();
    if (t - last < everyMs) {
      held++;
      return;
    }
    emit(held);
    held = 0;
    last = t;
  };
}

/** How often a repeating connection warning is logged. */
export const REPEAT_WARNING_MS = 30_000;
