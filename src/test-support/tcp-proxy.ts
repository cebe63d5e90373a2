/** A TCP proxy for tests of a server going away: cut() drops every connection and refuses new ones; resume() listens again on the same port. */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy to 127.0.0.1:target that can cut every connection and refuse new ones (a server going away), then resume. */
export async function tcpProxy(target: number): Promise<{ port: number; cut(): Promise<void>; resume(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(target, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = async () => {
    const s = server as Server | null;
    server = null;
    const closed = s ? new Promise((r) => s.close(r)) : Promise.resolve();
    for (const sock of sockets) sock.destroy();
    await closed;
  };
  await listen();
  return { port, cut, resume: listen, close: cut };
}
