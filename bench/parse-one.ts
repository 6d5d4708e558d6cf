import { simpleParser } from 'mailparser';
import { performance } from 'node:perf_hooks';
import { parseMail } from '../src/parse/parse-mail.ts';
import { generateSpec, renderReport, type Layout } from '../test/parse/report-generator.ts';

/**
 * One measurement in a fresh process (so peak memory is this size's alone):
 * `tsx bench/parse-one.ts <errors> <iterations>` prints one JSON line.
 */

const errors = Number(process.argv[2] ?? 1000);
const iterations = Number(process.argv[3] ?? 5);
const layout: Layout = { kind: 'html-table', columns: ['identity', 'description', 'objectType', 'objectId'] };
const raw = renderReport({ ...generateSpec(errors, 42), quota: false }, layout, { encoding: 'quoted-printable' });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  await fn(); // warm-up: JIT, module loading
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

let records = 0;
const ours = await time(async () => {
  const out = await parseMail(raw, { maxBytes: 1 << 30, timeoutMs: 600_000 });
  if (!out.ok) throw new Error(`rejected: ${out.rejection.detail}`);
  records = out.reports.reduce((n, r) => n + r.errors.length, 0);
});
// mailparser as we call it (no html-to-text) and as it runs by default
const mimeOnly = await time(() => simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true }));
const mimeDefault = await time(() => simpleParser(raw));

process.stdout.write(
  `${JSON.stringify({
    errors,
    records,
    bytes: raw.length,
    parseMs: Math.round(ours * 10) / 10,
    simpleParserMs: Math.round(mimeDefault * 10) / 10,
    simpleParserSameOptionsMs: Math.round(mimeOnly * 10) / 10,
    recordsPerSec: Math.round(records / (ours / 1000)),
    mbPerSec: Number((raw.length / 1048576 / (ours / 1000)).toFixed(2)),
    ratioToSimpleParser: Number((ours / mimeDefault).toFixed(3)),
    ratioToSimpleParserSameOptions: Number((ours / mimeOnly).toFixed(3)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
