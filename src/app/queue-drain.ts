import { Job, type Queue } from 'bullmq';
import { isOnPremQueue, onPremForestOf, type QueueName, type Queues } from '../queues.ts';

/**
 * Queue inspection for the commands that wait on the pipeline (`demo`, `replay --wait`,
 * `quarantine release`) or show it (`status`): job counts, the wait until every queue has
 * drained, and the queues no worker serves.
 */

const PENDING_STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'prioritized'] as const;

/** By queue name: the four roles' queues, then the forests' (`onprem-<forest>`). */
export type QueueCounts = Record<string, Record<string, number>> & Record<QueueName, Record<string, number>>;

/**
 * How many of `queue`'s delayed jobs are a job scheduler's next run (the Graph poll every
 * GRAPH_POLL_MINUTES): a timetable, not work, so nothing should wait for it.
 */
async function scheduledNextRuns(queue: Queue): Promise<number> {
  if ((await queue.getJobSchedulersCount()) === 0) return 0;
  let n = 0;
  for (const s of await queue.getJobSchedulers()) {
    if (s.next !== undefined && (await queue.getJobState(`repeat:${s.key}:${s.next}`)) === 'delayed') n++;
  }
  return n;
}

/** Job counts per queue; `scheduled` counts the delayed jobs that are a schedule's next run. */
export async function queueCounts(queues: Queues): Promise<QueueCounts> {
  const out = {} as QueueCounts;
  for (const name of queues.names) {
    const queue = queues.byName(name);
    out[name] = { ...(await queue.getJobCounts(...PENDING_STATES, 'completed', 'failed')), scheduled: await scheduledNextRuns(queue) };
  }
  return out;
}

/** Jobs still to run: waiting, running, delayed for a retry, or waiting for children. */
function pendingTotal(counts: QueueCounts): number {
  let total = 0;
  for (const c of Object.values(counts)) {
    for (const s of PENDING_STATES) total += c[s] ?? 0;
    total -= c.scheduled ?? 0;
  }
  return total;
}

/**
 * Waits until no job of any queue is waiting, running, delayed (retry backoff) or waiting for
 * children: two checks in a row, so a job handed from one queue to the next is seen. A parent
 * held by a child failed for good (a report's close held back until `failed retry`) is not
 * waited for: it cannot run before an admin retries. A schedule's next run (delayed until its
 * time) is not waited for either. False when the time is up or `halted` says so.
 */
export async function waitForDrain(
  queues: Queues,
  options: { timeoutMs?: number; onTick?: (pending: number) => void; onUnworked?: (names: string[]) => void; halted?: () => unknown } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  let quiet = 0;
  let looked = 0;
  let said = '';
  while (Date.now() < deadline && !options.halted?.()) {
    const counts = await queueCounts(queues);
    const pending = pendingTotal(counts);
    options.onTick?.(pending);
    // a queue nobody works (an onprem worker not started) would keep the wait silent for as long as it lasts
    if (options.onUnworked && Date.now() - looked >= UNWORKED_EVERY_MS) {
      looked = Date.now();
      const names = await unworkedQueues(queues, counts);
      if (names.length && names.join() !== said) options.onUnworked(names);
      said = names.join();
    }
    const parents = Object.values(counts).reduce((n, c) => n + (c['waiting-children'] ?? 0), 0);
    const still = pending === parents && (parents === 0 || (await onlyHeldParents(queues)));
    quiet = still ? quiet + 1 : 0;
    if (quiet >= 2) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

/** How often a wait asks Redis which queues have no worker (CLIENT LIST per queue). */
const UNWORKED_EVERY_MS = 2000;

/** Queues with jobs waiting and no worker connected; a Redis that refuses CLIENT LIST (some managed services) cannot tell, and is not guessed at. */
export async function unworkedQueues(queues: Queues, counts: Record<string, Record<string, number>>): Promise<string[]> {
  const out: string[] = [];
  for (const [name, c] of Object.entries(counts)) {
    if ((c.waiting ?? 0) + (c.prioritized ?? 0) === 0) continue;
    const workers = await queues.byName(name).getWorkersCount().catch(() => -1);
    if (workers === 0) out.push(name);
  }
  return out;
}

/** What an operator reads of such a queue: which worker its reports wait for. */
export function unworkedLine(name: string): string {
  const forest = onPremForestOf(name);
  return `Queue ${name}: jobs waiting and no worker connected; their reports wait for \`syncdesk worker --queues ${isOnPremQueue(name) ? 'onprem' : name}\`${forest ? ` with ONPREM_FOREST=${forest}` : ''}`;
}

/** Parents looked at per queue: a run's report closes and chunks, far fewer than this. */
const MAX_PARENTS = 1000;

/** Whether every parent waiting for its children waits only on children failed for good, however deep. */
async function onlyHeldParents(queues: Queues): Promise<boolean> {
  for (const name of queues.names) {
    for (const job of await queues.byName(name).getWaitingChildren(0, MAX_PARENTS - 1)) {
      if (!(await childrenHeld(queues, job, 0))) return false;
    }
  }
  return true;
}

/**
 * Whether each child a parent still waits for failed for good, or is a parent held so itself.
 * A child in a queue this process has not opened (a forest's onprem queue it was not told of)
 * may still run: it holds nothing for good.
 */
async function childrenHeld(queues: Queues, parent: Job, depth: number): Promise<boolean> {
  const { unprocessed = [] } = await parent.getDependencies({ unprocessed: { count: MAX_PARENTS } });
  if (!unprocessed.length || depth > 8) return false;
  for (const key of unprocessed) {
    const name = queues.names.find((n) => key.startsWith(`${queues.byName(n).qualifiedName}:`));
    if (!name) return false;
    const queue = queues.byName(name);
    const id = key.slice(queue.qualifiedName.length + 1);
    const state = await queue.getJobState(id);
    if (state === 'failed') continue;
    const child = state === 'waiting-children' ? await Job.fromId(queue, id) : undefined;
    if (!child || !(await childrenHeld(queues, child, depth + 1))) return false;
  }
  return true;
}
