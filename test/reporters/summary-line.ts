import type { Reporter, TestModule } from 'vitest/node';
import { fastCheckSeed } from '../setup/fc-seed.ts';

/**
 * Ends the run with one plain line, `N passed, N failed[, N skipped]`, so CI and humans
 * read the outcome without knowing vitest's own summary format; the line before it names the
 * fast-check seed of the run.
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      const before = failed;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // a file that failed to load, or whose beforeAll failed (its tests then read "skipped"),
      // failed without a failed test: it must count all the same
      if (mod.state() === 'failed' && failed === before) failed++;
    }
    process.stdout.write(`\nfast-check seed ${fastCheckSeed()} (replay with FC_SEED=<seed>)\n`);
    process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
