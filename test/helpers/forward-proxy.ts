import { connect, type Socket } from 'node:net';
import { createServer, type Server } from 'node:http';

/**
 * A forward proxy on loopback, as a corporate one is to syncdesk: HTTPS through CONNECT
 * tunnels. `routes` sends a tunnel for one host:port on to another, so a target only the
 * proxy can reach (a port where nothing listens, mapped to a fake's) proves a request went
 * through it. `seen` lists each CONNECT's target.
 */
export interface ForwardProxy {
  url: string;
  seen: string[];
  close(): Promise<void>;
}

export async function startForwardProxy(routes: Record<string, string> = {}): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    // plain-HTTP forwarding is no part of what is tested: said, not done
    res.writeHead(501, { 'content-type': 'text/plain' });
    res.end('this test proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    seen.push(target);
    sockets.add(client);
    const [host, port] = (routes[target] ?? target).split(/:(?=\d+$)/);
    // a test's proxy never reaches past this machine
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      end();
    });
    client.on('error', end);
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
