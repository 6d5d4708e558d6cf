import type { Redis } from 'ioredis';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { mailStoreMentions, snapshotMentions, ticketFileMentions } from '../privacy/file-mentions.ts';
import type { Mention } from '../privacy/mention.ts';
import { redisMentions } from '../privacy/redis-mentions.ts';
import { terminalText } from '../terminal-text.ts';

/**
 * What `syncdesk forget` does (loaded when it runs; see forget-command.ts): lists every place
 * the value stands, then, when told to, forgets each it can. Exit 1 when something could not
 * be forgotten (a job being worked, a key of an unknown kind, a failed write).
 */
export async function forget(value: string, opts: { remove: boolean }): Promise<number> {
  const config = cliConfig();
  const runtime = await openRuntime(config, cliLogger(config));
  const print = (line: string) => process.stdout.write(`${terminalText(line)}\n`);
  try {
    const redis = runtime.redis.client as Redis;
    const found: Mention[] = [
      ...(await redisMentions(runtime.redis.client, config.redis.prefix, runtime.queues, value)),
      ...(await mailStoreMentions(runtime.store, redis, config.redis.prefix, value)),
      ...(await snapshotMentions(config.graph.snapshotDir, value)),
      ...(config.ticket.sink === 'file' ? ticketFileMentions(config.ticket.fileDir, value) : []),
    ];
    let failed = 0;
    for (const m of found) {
      let outcome = m.forget ? (opts.remove ? 'forgotten' : 'would be forgotten') : 'left to you';
      if (m.forget && opts.remove) {
        try {
          await m.forget();
        } catch (err) {
          failed++;
          outcome = `not forgotten: ${(err as Error).message}`;
        }
      }
      print(`${m.store}\t${m.what}\t${outcome}${m.note ? ` (${m.note})` : ''}`);
    }
    const removable = found.filter((m) => m.forget).length;
    if (!found.length) print(`${value}: found nowhere syncdesk keeps data`);
    else if (!opts.remove) print(`${found.length} place(s) name ${value}; nothing was changed: run again with --yes to forget the ${removable} syncdesk can`);
    else print(`${found.length} place(s) named ${value}: ${removable - failed} forgotten${failed ? `, ${failed} not (above)` : ''}${found.length > removable ? `, ${found.length - removable} left to you (above)` : ''}`);
    return failed || found.some((m) => m.store === 'other') ? 1 : 0;
  } finally {
    await runtime.close();
  }
}
