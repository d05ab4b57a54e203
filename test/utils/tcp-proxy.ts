import { createServer, Server, Socket, connect } from 'node:net';
import { freePort } from './redis-server';

/**
 * A TCP proxy in front of a real service, for outage tests: `blackhole()` makes the network
 * swallow every byte (established connections hang, new ones never answer); `kill()` is a
 * crash (every connection reset, new ones refused); `restore()` brings it back.
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
    await proxy.listen();
    return proxy;
  }

  private async listen() {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  blackhole() {
    this.blocked = true;
  }

  kill() {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.server?.close();
    this.server = undefined;
  }

  async restore() {
    this.blocked = false;
    // Connections that saw the outage are beyond repair: reset them, as a network would.
    for (const socket of this.sockets) socket.destroy();
    if (!this.server) await this.listen();
  }

  async stop() {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
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
