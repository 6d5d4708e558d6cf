import { parseMail } from '../../src/parse/parse-mail.ts';
import type { ParsedReport } from '../../schemas/report.schema.ts';

/** Parses a generated mail that must hold exactly one report, or fails saying why not. */
export async function parseOne(raw: Buffer): Promise<ParsedReport> {
  const outcome = await parseMail(raw);
  if (!outcome.ok) throw new Error(`rejected: ${outcome.rejection.reason}: ${outcome.rejection.detail}`);
  if (outcome.reports.length !== 1) throw new Error(`expected one report, got ${outcome.reports.length}`);
  return outcome.reports[0]!;
}
