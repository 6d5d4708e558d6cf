import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Parser benchmark: generated HTML reports of 10, 1,000 and 10,000 errors (or
 * `BENCH_PARSE_SIZES=1000,10000`), each size measured in processes of its own (three by default,
 * `BENCH_PARSE_PROCESSES`). Goal (issue #19):
 * at 1,000 and at 10,000 errors our whole parse costs at most 2× mailparser's MIME decode
 * with the same options (`ratio`), in the V8 mode `syncdesk start` runs in as well as a plain one.
 */
export async function runParseBench(sizes = envSizes() ?? [10, 1000, 10000]): Promise<Record<string, unknown>[]> {
  const script = fileURLToPath(new URL('./parse-one.ts', import.meta.url));
  // each size twice: in a plain Node, and in the V8 mode `syncdesk start` runs in (bin/v8-mode.js)
  // (the mode before session 14 cost the parse more than the decode: README)
  const modes = [
    { v8: 'plain', imports: [] },
    { v8: 'as syncdesk start', imports: ['--import', fileURLToPath(new URL('./service-v8.mjs', import.meta.url))] },
  ];
  const processes = envProcesses();
  return sizes.flatMap((n) =>
    modes.map(({ v8, imports }) => {
      // enough rounds for a median that one GC pause or one busy moment does not move (an 8 ms decode is at their mercy)
      const rounds = n >= 10000 ? 15 : n >= 1000 ? 61 : 201;
      // The ratio of one process still moves ±5–10% from the next (how V8 compiled and laid
      // out that process's heap): each size and mode runs in several, and the row is the one
      // whose ratio is their median, with every process's ratio beside it.
      const runs = Array.from({ length: processes }, () => {
        const out = execFileSync(process.execPath, ['--import', 'tsx', ...imports, script, String(n), String(rounds)], { encoding: 'utf8' });
        return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown> & { ratio: number };
      }).sort((a, b) => a.ratio - b.ratio);
      const median = runs[Math.floor((runs.length - 1) / 2)]!;
      return { bench: 'parse', v8, ...median, processRatios: runs.map((r) => r.ratio.toFixed(2)).join(' ') };
    }),
  );
}

/** Processes per size and mode (`BENCH_PARSE_PROCESSES`, default 3; with an even number the row is the lower of the middle two). */
function envProcesses(): number {
  const n = Number(process.env.BENCH_PARSE_PROCESSES ?? 3);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_PARSE_PROCESSES must be a whole number from 1 up, not ${process.env.BENCH_PARSE_PROCESSES}`);
  return n;
}

function envSizes(): number[] | null {
  const list = process.env.BENCH_PARSE_SIZES?.split(',').map(Number).filter((n) => n > 0);
  return list?.length ? list : null;
}
