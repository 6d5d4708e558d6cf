import type { RedisHandle } from './connection.ts';

/**
 * Redis must answer within `ms` of opening (see openRedis), or the command says where it
 * looked and stops, instead of retrying for ever as a connected client does.
 */
export class RedisUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnreachableError';
  }
}

/** Resolves once the client is ready; else disconnects it and throws RedisUnreachableError (the caller closes what it opened). */
export async function whenRedisReady(redis: Pick<RedisHandle, 'client' | 'describe'>, fix: string, ms = 5_000): Promise<void> {
  const client = redis.client;
  if (client.status === 'ready') return;
  let lastError = '';
  const onError = (err: Error) => (lastError = err.message);
  client.on('error', onError);
  try {
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (ready) return;
  } finally {
    client.off('error', onError);
  }
  // stop retrying now: closing what was built on the client must not wait for it
  client.disconnect();
  throw new RedisUnreachableError(`Redis unreachable at ${redis.describe}${lastError ? ` (${lastError})` : ''} after ${ms / 1000} s: ${fix}`);
}
