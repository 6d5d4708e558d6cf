import fc from 'fast-check';

/**
 * Property and fuzz tests run the same cases on every run by default, so a red CI always
 * means a regression, never bad luck. Explore new cases with `FC_SEED=random` (or a
 * number); a failure prints its seed and counterexample to pin it.
 */
const wanted = process.env.FC_SEED;
if (wanted !== 'random') fc.configureGlobal({ seed: wanted ? Number(wanted) : 20261124 });
