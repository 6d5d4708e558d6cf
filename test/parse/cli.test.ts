/**
 * `syncdesk parse <file|dir|mbox>... [--json]`, run as a child process the way
 * an admin runs it: `node bin/syncdesk.js parse …`.
 *
 * Exit codes: 0 every input parsed, 1 some input was rejected (reason on
 * stderr), 2 usage error (unknown option, no arguments, missing file).
 */

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ParsedReportSchema } from '../../schemas/report.schema.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reports = join(root, 'test', 'fixtures', 'reports');
const mbox = join(root, 'test', 'fixtures', 'mbox', 'three-reports.mbox');
const TIMEOUT = 60_000;

function syncdesk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'syncdesk.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 50_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ReportsJson = z.array(ParsedReportSchema);
const fixture = (name: string): string => join(reports, `${name}.eml`);
const NOT_A_REPORT = /not[- ]a[- ](sync(hronization)?[- ](error[- ])?)?report/i;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdesk-cli-'));
  copyFileSync(fixture('dirsync-pipe-rows'), join(dir, 'a.eml'));
  copyFileSync(fixture('entra-table-description-first'), join(dir, 'b.eml'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('syncdesk parse', () => {
  it(
    'shows every value of a long attribute list in the table: the values come last, whole (blind48)',
    () => {
      const r = syncdesk('parse', fixture('real-comma-bracket-none-deletes-hardmatch'));
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/ProxyAddresses SMTP:crussell@Contoso\.com; ProxyAddresses smtp:crussell@ContosoReAG\.mail\.onmicrosoft\.com; Mail crussell@Contoso\.com$/m);
      expect(r.stdout).toMatch(/^  CATEGORY +OBJECT +CODE +ATTRIBUTES$/m);
    },
    TIMEOUT,
  );

  it(
    'prints a readable table by default and exits 0',
    () => {
      const r = syncdesk('parse', fixture('dirsync-pipe-rows'));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // Every error of the report shows up, by identity and category.
      for (const s of ['ASPNET@contoso.onmicrosoft.com', 'Sales Team', 'adele.vance@contoso.com', 'pat.smith@fabrikam.com', 'megan.bowen@contoso.com']) {
        expect(r.stdout).toContain(s);
      }
      expect(r.stdout).toContain('DuplicateAttribute');
      expect(r.stdout).toContain('ObjectNotFound');
      expect(r.stdout).toContain('FederatedDomainChange');
      // A table, not JSON.
      expect(() => JSON.parse(r.stdout) as unknown).toThrow();
    },
    TIMEOUT,
  );

  it(
    'prints a JSON array of parsed reports with --json',
    () => {
      const r = syncdesk('parse', '--json', fixture('aad-table-object-error-id'), fixture('dirsync-2012-quota'));
      expect(r.status).toBe(0);
      const parsed = ReportsJson.parse(JSON.parse(r.stdout));
      expect(parsed).toHaveLength(2);
      const identities = parsed.flatMap((p) => p.errors.map((e) => e.identity));
      expect(identities).toEqual(expect.arrayContaining(['john@contoso.com', 'bob@contoso.com', 'Finance Team', null]));
      expect(parsed.flatMap((p) => p.errors.map((e) => e.category))).toContain('QuotaExceeded');
    },
    TIMEOUT,
  );

  it(
    'accepts --json after the files too',
    () => {
      const r = syncdesk('parse', fixture('dirsync-2012-quota'), '--json');
      expect(r.status).toBe(0);
      expect(ReportsJson.parse(JSON.parse(r.stdout))).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'reads every mail in a directory',
    () => {
      const r = syncdesk('parse', '--json', dir);
      expect(r.status).toBe(0);
      const parsed = ReportsJson.parse(JSON.parse(r.stdout));
      expect(parsed).toHaveLength(2);
      expect(parsed.map((p) => p.errors.length).sort()).toEqual([5, 6]);
    },
    TIMEOUT,
  );

  it(
    'reads every message of an mboxrd file (one body line is >From-escaped)',
    () => {
      const r = syncdesk('parse', '--json', mbox);
      expect(r.status).toBe(0);
      const parsed = ReportsJson.parse(JSON.parse(r.stdout));
      expect(parsed).toHaveLength(3);
      expect(parsed.map((p) => p.errors[0]?.identity).sort()).toEqual(['anna@contoso.com', 'ben@contoso.com', 'carla@contoso.com']);
      expect(parsed.map((p) => p.trackingId).sort()).toEqual([
        '00000000-0000-4000-8000-000000000001',
        '00000000-0000-4000-8000-000000000002',
        '00000000-0000-4000-8000-000000000003',
      ]);
      for (const p of parsed) {
        expect(p.errors).toHaveLength(1);
        expect(p.errors[0]?.message ?? '').not.toContain('>From');
      }
    },
    TIMEOUT,
  );

  it(
    'exits 1 and names the reason on stderr when an input is not a report, still printing the others',
    () => {
      const r = syncdesk('parse', '--json', fixture('dirsync-2012-quota'), fixture('not-report-newsletter'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(NOT_A_REPORT);
      expect(r.stderr).toContain('not-report-newsletter');
      const parsed = ReportsJson.parse(JSON.parse(r.stdout));
      expect(parsed).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'exits 1 for a spam mail alone',
    () => {
      const r = syncdesk('parse', fixture('not-report-spam-error'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(NOT_A_REPORT);
    },
    TIMEOUT,
  );

  it(
    'exits 2 on an unknown option',
    () => {
      const r = syncdesk('parse', '--no-such-option', fixture('dirsync-2012-quota'));
      expect(r.status).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'exits 2 without arguments',
    () => {
      const r = syncdesk('parse');
      expect(r.status).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'names a missing file on stderr and parses the rest, exit 1; each report in --json names its input',
    () => {
      const missing = join(dir, 'does-not-exist.eml');
      const r = syncdesk('parse', '--json', missing, fixture('dirsync-2012-quota'));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`syncdesk parse: cannot read mail input ${missing}: no such file or directory`);
      expect(syncdesk('parse', missing, fixture('dirsync-2012-quota')).stdout).toMatch(/2 mail\(s\): 1 parsed, 1 rejected/);
      const parsed = JSON.parse(r.stdout) as Array<{ source: string }>;
      expect(parsed.map((p) => p.source)).toEqual([fixture('dirsync-2012-quota')]);
    },
    TIMEOUT,
  );
});
