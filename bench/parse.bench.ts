import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Parser benchmark: generated HTML reports of 10, 1,000 and 10,000 errors, each size
 * measured in its own process. Goal (issue #2): at 10,000 errors our whole parse costs at
 * most 1.3× mailparser's simpleParser alone on the same bytes.
 */
export async function runParseBench(sizes = [10, 1000, 10000]): Promise<Record<string, unknown>[]> {
  const script = fileURLToPath(new URL('./parse-one.ts', import.meta.url));
  return sizes.map((n) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, String(n), n >= 10000 ? '5' : '9'], { encoding: 'utf8' });
    return { bench: 'parse', ...(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>) };
  });
}
