import { prng } from '../parse/report-generator.ts';

/**
 * The seed of a randomised test: pinned, so every run tries the same cases and a red run
 * is a regression, never bad luck; `TEST_SEED=<n>` replays or explores another
 * (`TEST_SEED=random` picks one). Printed, so a failure says how to replay it.
 */
export function testSeed(name: string, pinned: number): number {
  const wanted = process.env.TEST_SEED;
  const seed = !wanted ? pinned : wanted === 'random' ? Date.now() % 100_000 : Number(wanted);
  if (!Number.isFinite(seed)) throw new Error(`TEST_SEED=${wanted}: expected a number or 'random'`);
  console.info(`[seed] ${name}: ${seed} (replay with TEST_SEED=${seed})`);
  return seed;
}

/** A deterministic generator (mulberry32) for `name`, seeded by testSeed. */
export function seededRandom(name: string, pinned: number): () => number {
  return prng(testSeed(name, pinned));
}
