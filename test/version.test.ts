import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageVersion, runningVersion } from '../src/version.ts';

/** Two builds of one package version are told apart by the commit they run (blind36 U9). */
describe('the version syncdesk prints', () => {
  it('is the package version and, in a git checkout, the commit checked out', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
    expect(runningVersion()).toBe(`${packageVersion()} (commit ${head.slice(0, 7)})`);
  });
});
