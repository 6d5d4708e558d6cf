import { describe, expect, it } from 'vitest';
import { services } from '../helpers/services.ts';
import { runCli, uid } from '../prove/helpers.ts';

/**
 * ioredis warns with console.warn, once per connection, when a password is given to a Redis
 * that needs none: raw "[WARN] …" lines between the JSON logs (blind26 F5). A command's log
 * stays one JSON object per line, the warning among them.
 */
describe('library warnings', () => {
  it('a password a Redis does not need is warned of through the log, not as a raw line', async () => {
    const url = new URL(services().REDIS_URL!);
    url.password = 'not-needed';
    const { code, output } = await runCli(['status'], { REDIS_URL: url.toString(), REDIS_PREFIX: `w${uid()}`, LOG_LEVEL: 'warn' });
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/^\[WARN\]/m);
    const warnings = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; from?: string; msg: string });
    expect(warnings).toContainEqual(expect.objectContaining({ level: 40, from: 'library', msg: expect.stringContaining('does not require a password, but a password was supplied') }));
  });
});
