import { createServer, Server, Socket, connect } from 'node:net';
import { freePort } from './redis-server';

/**
 * A TCP proxy in front of a real service, for outage tests: `blackhole()` makes the network
 * swallow every byte (established connections hang, new ones never answer), `restore()`
 * brings it back.
 */
export class TcpProxy {
  private blocked = false;
  private readonly sockets = new Set<Socket>();
  private server?: Server;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    proxy.server = createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve) => proxy.server!.listen(proxy.port, '127.0.0.1', resolve));
    return proxy;
  }

  blackhole() {
    this.blocked = true;
  }

  restore() {
    this.blocked = false;
    // Connections that saw the outage are beyond repair: reset them, as a network would.
    for (const socket of this.sockets) socket.destroy();
  }

  async stop() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private accept(client: Socket) {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.blocked) return; // accepted, never answered
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      if (!this.blocked) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.blocked) client.write(chunk);
    });
  }
}
