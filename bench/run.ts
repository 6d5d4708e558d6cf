import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runE2eBench } from './e2e.bench.ts';
import { runGraphBench } from './graph.bench.ts';
import { runMemoryBench } from './memory.bench.ts';
import { runParseBench } from './parse.bench.ts';

/**
 * `npm run bench`: runs every benchmark, prints one table per benchmark and writes all
 * rows as JSON to bench/results/<timestamp>.json and bench/results/latest.json.
 * Pick benchmarks with `npm run bench -- parse graph` or `BENCH=parse,graph,e2e` (e2e starts
 * its own Redis, Dovecot and RT and takes ~15 minutes; `BENCH_E2E_SIZES=20,50` for a quick
 * look; `BENCH_PARSE_SIZES=1000,10000` for the parser's goal sizes only).
 */

type Row = Record<string, unknown>;
const BENCHES: Record<string, () => Promise<Row[]>> = {
  parse: () => runParseBench(),
  graph: () => runGraphBench(),
  e2e: () => runE2eBench(),
  memory: () => runMemoryBench(),
};

function printTable(name: string, rows: Row[]): void {
  if (!rows.length) return;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'bench');
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k] ?? '')))];
  const widths = keys.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  process.stdout.write(`\n${name}\n`);
  for (const c of cells) process.stdout.write(`  ${c.map((v, i) => v.padStart(widths[i]!)).join('  ')}\n`);
  if (LEGENDS[name]) process.stdout.write(`  ${LEGENDS[name]}\n`);
}

const LEGENDS: Record<string, string> = {
  parse:
    'parseMs: our whole parse (MIME decode included); decodeMs: mailparser simpleParser with the same options (the floor); ratio = parseMs / decodeMs, goal <= 2 at 1,000 and 10,000 errors (ratioMin/Max: per round); extractRatio = (parseMs - decodeMs) / decodeMs, the extraction alone over the decode; medians of interleaved rounds, in the process whose ratio is the median of processRatios (one per process)',
};

const picked = process.argv.slice(2).join(',') || process.env.BENCH;
const wanted = (picked ?? Object.keys(BENCHES).join(',')).split(',').map((s) => s.trim());
const results: Record<string, Row[]> = {};
for (const name of wanted) {
  const run = BENCHES[name];
  if (!run) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
  results[name] = await run();
  printTable(name, results[name]);
}
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const payload = JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2);
writeFileSync(join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), payload);
writeFileSync(join(dir, 'latest.json'), payload);
process.stdout.write(`\nwritten: bench/results/latest.json\n`);
