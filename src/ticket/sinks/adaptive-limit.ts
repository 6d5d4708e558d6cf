/**
 * How many requests a desk gets at once, learnt from the desk itself: start at a configured
 * level; while every slot is in use, measure what the desk gets done at this level (requests
 * in flight over the typical answer time); one more slot while that still grows by a tenth
 * over the level below, one fewer when it does not (more requests would only queue inside
 * the desk); halve when the desk pushes back (429, 503, a timeout). Between 1 and the desk's
 * ceiling, and never up while its rate-limit headers say the window is nearly spent.
 */

export interface AdaptiveLimitOptions {
  /** Requests in flight to begin with. */
  initial: number;
  /** Never more than this: the desk's ceiling. */
  max: number;
  /**
   * How much more the desk must get done at one level than at the level below for the next step up.
   * @defaultValue 0.1
   */
  minGain?: number;
}

/** How a request went, as the limit needs it. */
export interface RequestOutcome {
  latencyMs: number;
  /** The desk refused for load: 429, 503, or a timeout. */
  pushedBack: boolean;
  /** The desk's rate-limit headers say little of the window is left: hold, do not rise. */
  nearLimit?: boolean;
}

export interface AdaptiveLimit {
  /** The current limit. */
  limit(): number;
  /** Requests in flight now. */
  active(): number;
  /** Waits for a slot (first come, first served). */
  acquire(): Promise<void>;
  /** Gives the slot back with how the request went. */
  release(outcome: RequestOutcome): void;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function createAdaptiveLimit(options: AdaptiveLimitOptions): AdaptiveLimit {
  const max = Math.max(1, options.max);
  const minGain = options.minGain ?? 0.1;
  let limit = Math.min(max, Math.max(1, options.initial));
  let active = 0;
  const waiting: Array<() => void> = [];
  // A round is as many answers as the limit: long enough to judge the desk at that level.
  let round: number[] = [];
  let roundSaturated = false;
  let roundHeld = false;
  // requests answered per millisecond at each level, smoothed: what a step up or down changes
  const rate = new Map<number, number>();

  function wake(): void {
    while (active < limit && waiting.length) {
      active++;
      waiting.shift()!();
    }
    roundSaturated ||= active >= limit;
  }

  function newRound(): void {
    round = [];
    roundSaturated = active >= limit;
    roundHeld = false;
  }

  function endRound(): void {
    // Only a round with every slot in use says what the desk does at this level.
    if (roundSaturated && !roundHeld) {
      const now = limit / Math.max(1, median(round));
      const seen = rate.get(limit);
      rate.set(limit, seen === undefined ? now : (seen + now) / 2);
      const below = rate.get(limit - 1);
      if (below === undefined || rate.get(limit)! > below * (1 + minGain)) limit = Math.min(max, limit + 1);
      else limit = Math.max(1, limit - 1);
    }
    newRound();
  }

  return {
    limit: () => limit,
    active: () => active,
    async acquire() {
      if (active < limit) {
        active++;
        roundSaturated ||= active >= limit;
        return;
      }
      roundSaturated = true;
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(outcome) {
      active--;
      if (outcome.pushedBack) {
        limit = Math.max(1, Math.floor(limit / 2));
        newRound();
      } else {
        round.push(outcome.latencyMs);
        roundHeld ||= outcome.nearLimit === true;
        if (round.length >= limit) endRound();
      }
      wake();
    },
  };
}
