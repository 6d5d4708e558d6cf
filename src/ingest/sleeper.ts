/**
 * A sleep that `wake()` cuts short, so a listener's `stop()` does not wait out a backoff
 * or a poll interval.
 */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
  /** Ends the current sleep at once (no-op when none). */
  wake(): void;
}

export function createSleeper(): Sleeper {
  let wake: (() => void) | null = null;
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}
