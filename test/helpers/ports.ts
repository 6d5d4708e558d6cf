import { createServer, type Server } from 'node:net';

/** `count` distinct free loopback ports: all held open at once, so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** One free loopback port (free when asked: a test that needs several at once takes `freePorts`). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
