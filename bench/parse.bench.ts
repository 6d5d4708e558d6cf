import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Parser benchmark: generated HTML reports of 10, 1,000 and 10,000 errors (or
 * `BENCH_PARSE_SIZES=1000,10000`), each size measured in its own process. Goal (issue #19):
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
  return sizes.flatMap((n) =>
    modes.map(({ v8, imports }) => {
      // enough rounds for a median that one GC pause or one busy moment does not move (an 8 ms decode is at their mercy)
      const rounds = n >= 10000 ? 15 : n >= 1000 ? 61 : 201;
      const out = execFileSync(process.execPath, ['--import', 'tsx', ...imports, script, String(n), String(rounds)], { encoding: 'utf8' });
      return { bench: 'parse', v8, ...(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>) };
    }),
  );
}

function envSizes(): number[] | null {
  const list = process.env.BENCH_PARSE_SIZES?.split(',').map(Number).filter((n) => n > 0);
  return list?.length ? list : null;
}
