import fc from 'fast-check';
import { fastCheckSeed } from './fc-seed.ts';

/**
 * Property and fuzz tests run the same cases on every run by default, so a red CI always
 * means a regression, never bad luck (the seed is printed at the end of the run, see
 * test/reporters/summary-line.ts). A failure prints its seed and counterexample to pin it.
 */
const seed = fastCheckSeed();
if (seed !== 'random') fc.configureGlobal({ seed });
