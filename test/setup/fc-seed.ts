/**
 * The fast-check seed of the run: pinned, so property and fuzz tests try the same cases
 * every run; `FC_SEED=<n>` replays one, `FC_SEED=random` explores (fast-check then prints
 * the seed of a failure).
 */
export const PINNED_FC_SEED = 20261124;

export function fastCheckSeed(env: Record<string, string | undefined> = process.env): number | 'random' {
  const wanted = env.FC_SEED;
  if (wanted === 'random') return 'random';
  return wanted ? Number(wanted) : PINNED_FC_SEED;
}
